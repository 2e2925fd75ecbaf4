"""电视政务大厅: a TV signs in with a code the resident confirms on the phone, read-only."""
