"""jangteo-client: a supplier's own tool for the Jangteo platform.

It makes the key pair on the supplier's machine (the private key never leaves it), asks the
platform for a certificate, keeps key and certificate in an encrypted PKCS#12 file, and signs
files as detached CMS. It speaks only the public API, with a personal API token, exactly as a
supplier's own system would.
"""
