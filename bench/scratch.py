"""What the benchmarks share: a free loopback port, a scratch PostgreSQL database."""

import secrets
import socket
import urllib.parse


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_database(server_url: str, prefix: str) -> tuple[str, callable]:
    """A new database `<prefix>_<random>` on the server of `server_url`: its URL, and a
    function that drops it (connections included)."""
    import psycopg

    parts = urllib.parse.urlsplit(server_url)
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return parts._replace(path=f"/{name}").geturl(), drop
