"""HTTP without a library: bytes written to a TCP socket, bytes read back."""

import socket


def send_raw(host: str, port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send bytes over a TCP connection and read until the server closes it."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def split_response(data: bytes) -> tuple[str, dict[str, str], bytes]:
    """The status line, the headers (lower-case names) and the body of a raw HTTP/1.1 response."""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status_line, headers, body
