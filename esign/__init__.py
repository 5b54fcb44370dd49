"""The platform PKI (CA, enrollment, CRL), certificate validation, CMS and PAdES
signing and verification, timestamps and sealing primitives. It knows no workflow."""
