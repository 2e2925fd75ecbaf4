"""Malware scanning of uploaded files, behind a Protocol with a ClamAV (clamd) adapter."""

from integrations.scanner.clamd import ClamdScanner
from integrations.scanner.protocol import Scanner, ScannerUnavailable, ScanVerdict

__all__ = ["ClamdScanner", "ScanVerdict", "Scanner", "ScannerUnavailable"]
