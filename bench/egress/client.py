"""Client of bench/egress/run.sh: tunnels through a forward proxy (CONNECT) to the origin on loopback.

  client.py wait PROXY_PORT PASSWORD ORIGIN_PORT
  client.py connections PROXY_PORT PASSWORD ORIGIN_PORT COUNT THREADS  -> "COUNT COUNT SECONDS"
  client.py bulk PROXY_PORT PASSWORD ORIGIN_PORT COUNT THREADS         -> "COUNT MIB SECONDS"
PROXY_PORT 0 = no proxy (straight to the origin); PASSWORD "" = no Proxy-Authorization.
"""
import base64
import socket
import sys
import threading
import time

proxy_port, password, origin = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
AUTH = "" if password in ("", "-") else \
    "Proxy-Authorization: Basic " + base64.b64encode(f"collab:{password}".encode()).decode() + "\r\n"


def read_head(sock, buf=b""):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise IOError("closed before the end of the head: %r" % buf[:200])
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def open_tunnel():
    if proxy_port == 0:
        return socket.create_connection(("127.0.0.1", origin))
    s = socket.create_connection(("127.0.0.1", proxy_port))
    target = f"127.0.0.1:{origin}"
    s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{AUTH}\r\n".encode())
    head, rest = read_head(s)
    if " 200" not in head.split("\r\n")[0]:
        raise IOError("proxy refused: " + head.split("\r\n")[0])
    assert not rest
    return s


def get(path):
    """One GET inside a fresh tunnel; returns the body size."""
    s = open_tunnel()
    try:
        s.sendall(f"GET /{path} HTTP/1.1\r\nHost: origin\r\nConnection: close\r\n\r\n".encode())
        head, rest = read_head(s)
        assert " 200" in head.split("\r\n")[0], head
        n = len(rest)
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                return n
            n += len(chunk)
    finally:
        s.close()


def run(path, count, threads):
    done = [0]
    sizes = [0]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if done[0] >= count:
                    return
                done[0] += 1
            n = get(path)
            with lock:
                sizes[0] += n

    start = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sizes[0], time.perf_counter() - start


mode = sys.argv[1]
if mode == "wait":
    for _ in range(300):
        try:
            get("small")
            sys.exit(0)
        except (IOError, OSError):
            time.sleep(0.2)
    sys.exit(1)
count, threads = int(sys.argv[5]), int(sys.argv[6])
if mode == "connections":
    _, seconds = run("small", count, threads)
    print(f"{count} {count} {seconds:.3f}")
else:
    size, seconds = run("big", count, 1)
    print(f"{count} {size / (1 << 20):.1f} {seconds:.3f}")
