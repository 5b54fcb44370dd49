import shutil
import subprocess

import pytest

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command")


def openssl(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [OPENSSL, *args], input=input, capture_output=True, check=False, timeout=60
    )
