#!/usr/bin/env python3
"""Side by side with nginx: serves one tree from nginx (its own config on loopback, one worker, sendfile on)
and from the Serve example, sends each the same table of requests over raw sockets, and compares the
status, the headers that matter and the body hashes. Prints one row per case and the count of cases that
differ; --all prints the cases that agree too.

    bench/http_compare.py [--only SUBSTRING] [--all] [--keep]

Needs nginx (Debian's package) and the jars of `mvn -pl aio-examples,aio-benchmarks -am package -DskipTests`.
"""
import argparse
import gzip
import hashlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import JAR, ROOT, java  # noqa: E402
from http_bench import ensure  # noqa: E402
from nginx import start_nginx, wait_port  # noqa: E402

EXAMPLES_JAR = os.path.join(ROOT, "aio-examples", "target", "aio-examples-0.1.0-SNAPSHOT.jar")



def make_tree(root):
    rnd = random.Random(13)

    def write(rel, data):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    write("a.txt", "hello\n")
    write("index.html", "<!doctype html><h1>home</h1>\n")
    write("page.html", '<!doctype html><meta charset="iso-8859-1"><p>caf\xe9</p>\n'.encode("latin-1"))
    write("sub/b.txt", "in sub\n")
    write("sub/index.html", "<h1>sub index</h1>\n")
    write("noindex/c.txt", "no index here\n")
    write("big.bin", bytes(rnd.getrandbits(8) for _ in range(1 << 20)))
    for ext in ["woff", "woff2", "avif", "xhtml", "wasm", "mjs", "js", "css", "json", "svg", "png", "JPG", "md",
                "tar.gz", "weird-ext"]:
        write("t." + ext, "x" * 10)
    write("noext", "no extension\n")
    write("data-v2.json", '{"v": 2}\n')
    os.symlink("data-v2.json", os.path.join(root, "latest.json"))
    write(".git/config", "[core]\n")
    write(".hidden", "hidden\n")
    os.mkfifo(os.path.join(root, "pipe"))
    os.symlink("loop2", os.path.join(root, "loop1"))
    os.symlink("loop1", os.path.join(root, "loop2"))
    outside = os.path.join(os.path.dirname(root), "outside.txt")
    with open(outside, "w") as f:
        f.write("outside the root\n")
    os.symlink(outside, os.path.join(root, "escape"))
    app = b"console.log('app');\n" * 50
    write("app.js", app)
    write("app.js.gz", gzip.compress(app, mtime=0))
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p) and os.path.isfile(p):
                os.chmod(p, 0o644)


# ------------------------------------------------------------------------------------------------ the client

class Closed(Exception):
    pass


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Closed("timeout")
        except ConnectionResetError:
            raise Closed("reset")
        if not data:
            raise Closed("closed")
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i], self.buf[i + 2:]
        return line.decode("latin-1")

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def rest(self):
        try:
            while True:
                self.fill()
        except Closed:
            pass
        data, self.buf = self.buf, b""
        return data


def read_response(r, method):
    status_line = r.line()
    version, status = status_line.split(" ")[0], int(status_line.split(" ")[1])
    headers = []
    while True:
        line = r.line()
        if not line:
            break
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    h = {}
    for k, v in headers:
        h.setdefault(k, []).append(v)
    if method == "HEAD" or status in (204, 304) or status < 200:
        body = b""
    elif "chunked" in ",".join(h.get("transfer-encoding", [])).lower():
        body = b""
        while True:
            size = int(r.line().split(";")[0], 16)
            if size == 0:
                while r.line():
                    pass
                break
            body += r.take(size)
            r.take(2)
    elif "content-length" in h:
        body = r.take(int(h["content-length"][0]))
    else:
        body = r.rest()
    return {"version": version, "status": status, "headers": h, "body": body}


def req(method, target, *headers, version="HTTP/1.1", host=True):
    lines = [f"{method} {target} {version}"]
    if host:
        lines.append("Host: {host}")
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


FOLLOW = b"GET /a.txt HTTP/1.1\r\nHost: {host}\r\n\r\n"


def exchange(port, case, info):
    """Sends the case's request(s); returns the first response and what happened after it."""
    host = f"127.0.0.1:{port}"
    data = case["request"](info) if callable(case["request"]) else case["request"]
    data = data.replace(b"{host}", host.encode()).replace(b"{port}", str(port).encode())
    s = socket.create_connection(("127.0.0.1", port), timeout=case.get("timeout", 5))
    try:
        s.sendall(data)
        if case.get("half_close"):
            s.shutdown(socket.SHUT_WR)
        r = Reader(s)
        method = data.split(b" ", 1)[0].decode()
        count = case.get("pipelined")
        if count:
            got = 0
            try:
                for _ in range(count):
                    read_response(r, method)
                    got += 1
            except Closed as e:
                return {"status": f"{got} of {count} answered, then {e}"}, None
            return {"status": f"{got} of {count} answered"}, None
        try:
            resp = read_response(r, method)
        except Closed as e:
            return {"status": f"no response ({e})"}, None
        if case.get("half_close"):
            return resp, "-"
        try:
            s.sendall(FOLLOW.replace(b"{host}", host.encode()))
            read_response(r, "GET")
            after = "open"
        except (Closed, OSError):
            after = "closed"
        return resp, after
    finally:
        s.close()


def multipart_digest(resp):
    ctype = resp["headers"].get("content-type", [""])[0]
    boundary = ctype.split("boundary=")[1].strip('"').encode()
    parts = []
    for chunk in resp["body"].split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        fields = dict(line.split(b":", 1) for line in head.split(b"\r\n") if b":" in line)
        fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
        parts.append(b"%s|%s|%s" % (fields.get(b"content-type", b""), fields.get(b"content-range", b""),
                                    hashlib.sha256(data[:-2] if data.endswith(b"\r\n") else data).digest()))
    return "parts:%d:%s" % (len(parts), hashlib.sha256(b"\n".join(parts)).hexdigest()[:12])


def summarize(resp, after, case):
    if "headers" not in resp:
        return {"status": resp["status"]}
    h = resp["headers"]
    status = resp["status"]

    def one(name):
        v = h.get(name)
        if v is None:
            return "-"
        return v[0] if len(v) == 1 else " | ".join(v)

    out = {"status": status, "version": resp["version"],
           "date": "yes" if "date" in h else "no"}
    if status < 300 or status == 304:  # error pages differ by design (nginx writes HTML)
        ctype = one("content-type").lower().replace(" ", "").replace('"', "")
        out["content-type"] = "multipart/byteranges" if ctype.startswith("multipart/byteranges") else ctype
        out["content-length"] = one("content-length")
        out["etag"] = "yes" if "etag" in h else "no"
        out["last-modified"] = one("last-modified")
    if status in (200, 206):
        out["accept-ranges"] = one("accept-ranges")
    if status in (206, 416):
        out["content-range"] = one("content-range")
    if 300 <= status < 400 and status != 304:
        loc = one("location")
        if loc.startswith("http://"):
            loc = "/" + loc.split("/", 3)[3] if loc.count("/") >= 3 else "/"
        out["location"] = loc
    out["content-encoding"] = one("content-encoding")
    out["vary"] = one("vary")
    if status in (200, 206):
        if out["content-type"] == "multipart/byteranges":
            out["body"] = multipart_digest(resp)
        else:
            out["body"] = hashlib.sha256(resp["body"]).hexdigest()[:12]
    if case.get("connection"):
        out["connection"] = one("connection").lower()
    if after is not None:
        out["after"] = after
    return out


# ------------------------------------------------------------------------------------------------ the cases

def cases():
    c = []

    def add(name, request, **kw):
        c.append(dict(name=name, request=request, **kw))

    add("GET a file", req("GET", "/a.txt"))
    add("HEAD a file", req("HEAD", "/a.txt"))
    add("GET 1 MiB", req("GET", "/big.bin"))
    add("GET with a query", req("GET", "/a.txt?x=1"))
    # ranges
    add("range 0-99", req("GET", "/big.bin", "Range: bytes=0-99"))
    add("range suffix -100", req("GET", "/big.bin", "Range: bytes=-100"))
    add("range open 1048000-", req("GET", "/big.bin", "Range: bytes=1048000-"))
    add("range past the end", req("GET", "/big.bin", "Range: bytes=1048576-"))
    add("range unit in capitals", req("GET", "/big.bin", "Range: BYTES=0-9"))
    add("range of another unit", req("GET", "/big.bin", "Range: items=0-9"))
    add("two ranges", req("GET", "/big.bin", "Range: bytes=0-9,20-29"))
    add("three ranges, one suffix", req("GET", "/big.bin", "Range: bytes=0-0,100-199,-1"))
    add("overlapping ranges", req("GET", "/big.bin", "Range: bytes=0-9,5-15"))
    add("ranges adding up past the size", req("GET", "/big.bin", "Range: bytes=0-600000,500000-"))
    add("ranges, one unsatisfiable", req("GET", "/big.bin", "Range: bytes=0-9,2000000-2000010"))
    add("range on HEAD", req("HEAD", "/big.bin", "Range: bytes=0-9"))
    # conditionals (validators of each server's own responses)
    add("If-Range: its ETag", lambda i: req("GET", "/big.bin", "Range: bytes=0-9", f"If-Range: {i['etag']}"))
    add("If-Range: a stale ETag", req("GET", "/big.bin", "Range: bytes=0-9", 'If-Range: "stale-1"'))
    add("If-Range: its date", lambda i: req("GET", "/big.bin", "Range: bytes=0-9", f"If-Range: {i['lm']}"))
    add("If-Range: an older date", req("GET", "/big.bin", "Range: bytes=0-9", "If-Range: Thu, 01 Jan 1970 00:00:00 GMT"))
    add("If-Range: weak ETag", lambda i: req("GET", "/big.bin", "Range: bytes=0-9", f"If-Range: W/{i['etag']}"))
    add("If-Match: its ETag", lambda i: req("GET", "/big.bin", f"If-Match: {i['etag']}"))
    add("If-Match: another", req("GET", "/big.bin", 'If-Match: "nope"'))
    add("If-Match: *", req("GET", "/big.bin", "If-Match: *"))
    add("If-Unmodified-Since: old", req("GET", "/big.bin", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT"))
    add("If-Unmodified-Since: its date", lambda i: req("GET", "/big.bin", f"If-Unmodified-Since: {i['lm']}"))
    add("If-Match ok + If-Unmodified-Since old",
        lambda i: req("GET", "/big.bin", f"If-Match: {i['etag']}", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT"))
    add("If-None-Match: its ETag", lambda i: req("GET", "/big.bin", f"If-None-Match: {i['etag']}"))
    add("If-None-Match: weak", lambda i: req("GET", "/big.bin", f"If-None-Match: W/{i['etag']}"))
    add("If-None-Match on HEAD", lambda i: req("HEAD", "/big.bin", f"If-None-Match: {i['etag']}"))
    add("If-Modified-Since: its date", lambda i: req("GET", "/big.bin", f"If-Modified-Since: {i['lm']}"))
    add("If-Modified-Since: old", req("GET", "/big.bin", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"))
    add("If-None-Match match + IMS old",
        lambda i: req("GET", "/big.bin", f"If-None-Match: {i['etag']}", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"))
    add("If-Match fails + range", req("GET", "/big.bin", 'If-Match: "nope"', "Range: bytes=0-9"))
    # Host and the request target
    add("HTTP/1.1 without Host", req("GET", "/a.txt", host=False))
    add("two Host headers", req("GET", "/a.txt", "Host: other"))
    add("invalid Host", req("GET", "/a.txt", "Host: a b", host=False))
    add("Host with a slash", req("GET", "/a.txt", "Host: bad/host", host=False))
    add("absolute-form", req("GET", "http://{host}/a.txt"))
    add("absolute-form, no path", req("GET", "http://{host}"))
    add("asterisk-form GET", req("GET", "*"))
    # connections
    add("HTTP/1.0", req("GET", "/a.txt", version="HTTP/1.0", host=False), connection=True)
    add("HTTP/1.0 keep-alive", req("GET", "/a.txt", "Connection: keep-alive", version="HTTP/1.0", host=False),
        connection=True)
    add("HTTP/1.1 Connection: close", req("GET", "/a.txt", "Connection: close"), connection=True)
    # a file no other case asks for, so that the server has to open it after the client's FIN
    add("half-close after the request", req("GET", "/noindex/c.txt"), half_close=True)
    add("200 pipelined requests", req("GET", "/a.txt") * 200, pipelined=200)
    add("Content-Length and chunked", req("GET", "/a.txt", "Content-Length: 3", "Transfer-Encoding: chunked"))
    # paths
    add("//a.txt", req("GET", "//a.txt"))
    add("///a.txt", req("GET", "///a.txt"))
    add("//sub/b.txt", req("GET", "//sub/b.txt"))
    add("/a.txt/", req("GET", "/a.txt/"))
    add("/a.txt/x", req("GET", "/a.txt/x"))
    add("256-byte name", req("GET", "/" + "n" * 256))
    add("symlink loop", req("GET", "/loop1"))
    add("symlink inside", req("GET", "/latest.json"))
    add("symlink leaving the root", req("GET", "/escape"))
    add("/../a.txt", req("GET", "/../a.txt"))
    add("/%2e%2e/a.txt", req("GET", "/%2e%2e/a.txt"))
    add("/sub/../a.txt", req("GET", "/sub/../a.txt"))
    add("/a%2etxt", req("GET", "/a%2etxt"))
    add("/sub%2fb.txt", req("GET", "/sub%2fb.txt"))
    add("/a.txt%00", req("GET", "/a.txt%00"))
    add("missing file", req("GET", "/missing.txt"))
    # directories
    add("/ (index.html)", req("GET", "/"))
    add("/sub", req("GET", "/sub"))
    add("/sub?x=1", req("GET", "/sub?x=1"))
    add("/sub/", req("GET", "/sub/"))
    add("/noindex", req("GET", "/noindex"))
    add("/noindex/", req("GET", "/noindex/"))
    add("/index.html", req("GET", "/index.html"))
    # dotfiles and special files
    add("/.git/config", req("GET", "/.git/config"))
    add("/.hidden", req("GET", "/.hidden"))
    add("FIFO", req("GET", "/pipe"))
    # content types
    for name in ["t.woff", "t.woff2", "t.avif", "t.xhtml", "t.wasm", "t.mjs", "t.js", "t.css", "t.json", "t.svg",
                 "t.png", "t.JPG", "t.md", "t.tar.gz", "t.weird-ext", "noext", "page.html"]:
        add(f"type of {name}", req("GET", "/" + name))
    # precompressed siblings
    add("app.js, gzip accepted", req("GET", "/app.js", "Accept-Encoding: gzip, deflate"))
    add("app.js, gzip refused", req("GET", "/app.js", "Accept-Encoding: gzip;q=0"))
    add("app.js, no Accept-Encoding", req("GET", "/app.js"))
    add("a.txt, gzip accepted (no .gz)", req("GET", "/a.txt", "Accept-Encoding: gzip"))
    # methods
    add("POST", req("POST", "/a.txt", "Content-Length: 0"))
    add("OPTIONS", req("OPTIONS", "/a.txt"))
    add("DELETE", req("DELETE", "/a.txt"))
    # sizes
    add("request line of 7000 bytes", req("GET", "/" + "x" * 7000))
    add("request line of 9000 bytes", req("GET", "/" + "x" * 9000))
    add("16 KiB of headers", req("GET", "/a.txt", *[f"X-H{i}: {'v' * 1000}" for i in range(16)]))
    add("one 9 KiB header", req("GET", "/a.txt", "X-Big: " + "v" * 9000))
    add("40 KiB of headers", req("GET", "/a.txt", *[f"X-H{i}: {'v' * 1000}" for i in range(40)]))
    return c


# ------------------------------------------------------------------------------------------------ the servers

def start_serve(tmp, root, port):
    for jar in (EXAMPLES_JAR, JAR):
        if not os.path.exists(jar):
            sys.exit(f"{jar} is missing: mvn -q -pl aio-examples,aio-benchmarks -am package -DskipTests")
    p = subprocess.Popen([java(), "--enable-native-access=ALL-UNNAMED", "-cp", EXAMPLES_JAR + os.pathsep + JAR,
                          "io.linuxaio.examples.Serve", root, "--port", str(port), "--loops", "1",
                          "--precompressed"],
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "serve.log"), "w"))
    wait_port(port, p, "the Serve example")
    return p


def descriptor_exhaustion(serve, port):
    """Lowers the Serve example's own limit of open files to what it has open, connects clients, restores the
    limit: the connection already open must still be answered, the clients that waited must be served once
    descriptors are free, and the shortage logged once. Returns a line that says what happened."""
    if shutil.which("prlimit") is None:
        return "descriptor exhaustion: skipped (no prlimit)"
    with open(f"/proc/{serve.pid}/limits") as f:
        soft, hard = next(l for l in f if l.startswith("Max open files")).split()[3:5]
    kept = socket.create_connection(("127.0.0.1", port), timeout=10)
    kept.sendall(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    read_response(Reader(kept), "GET")
    used = len(os.listdir(f"/proc/{serve.pid}/fd"))
    subprocess.run(["prlimit", "--pid", str(serve.pid), f"--nofile={used}:{hard}"], check=True)
    try:
        waiting = []
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /sub/b.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            waiting.append(s)
        time.sleep(1.5)
        kept.sendall(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        kept_status = read_response(Reader(kept), "GET")["status"]
    finally:
        subprocess.run(["prlimit", "--pid", str(serve.pid), f"--nofile={soft}:{hard}"], check=True)
    statuses = []
    for s in waiting:
        try:
            statuses.append(str(read_response(Reader(s), "GET")["status"]))
        except Closed as e:
            statuses.append(str(e))
        s.close()
    kept.close()
    return f"descriptor exhaustion: the open connection got {kept_status}, the 4 waiting ones {' '.join(statuses)}"


def validators(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(f"HEAD /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    resp = read_response(Reader(s), "HEAD")
    s.close()
    return {"etag": resp["headers"]["etag"][0], "lm": resp["headers"]["last-modified"][0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=None, help="run only the cases whose name contains this")
    ap.add_argument("--all", action="store_true", help="print the cases that agree too")
    ap.add_argument("--keep", action="store_true", help="keep the served tree and nginx's log")
    ap.add_argument("--nginx-port", type=int, default=18581)
    ap.add_argument("--serve-port", type=int, default=18582)
    a = ap.parse_args()
    ensure("nginx")
    tmp = tempfile.mkdtemp(prefix="linux-aio-http-compare-", dir="/var/tmp")
    os.chmod(tmp, 0o755)
    root = os.path.join(tmp, "www")
    os.makedirs(root)
    make_tree(root)
    nginx = start_nginx(tmp, root, a.nginx_port, compare=True)
    serve = start_serve(tmp, root, a.serve_port)
    differ = 0
    date_only = 0
    total = 0
    try:
        info = {"nginx": validators(a.nginx_port), "serve": validators(a.serve_port)}
        for case in cases():
            if a.only and a.only not in case["name"]:
                continue
            total += 1
            n = summarize(*exchange(a.nginx_port, case, info["nginx"]), case)
            s = summarize(*exchange(a.serve_port, case, info["serve"]), case)
            keys = [k for k in dict.fromkeys(list(n) + list(s)) if n.get(k) != s.get(k)]
            if keys:
                differ += 1
                date_only += keys == ["date"]
            if keys or a.all:
                print(f"{'DIFF' if keys else 'same'}  {case['name']}")
                shown = keys or ["status"]
                for k in shown:
                    print(f"        {k:16} nginx: {n.get(k, '(none)')!s:40} serve: {s.get(k, '(none)')}")
        print(f"\n{differ} of {total} cases differ ({date_only} of them only in Date)")
        if not a.only:
            print(descriptor_exhaustion(serve, a.serve_port))
    finally:
        for p in (serve, nginx):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        with open(os.path.join(tmp, "serve.log")) as f:
            log = f.read()
        print(f"the Serve example logged {log.count(' WARN ')} warnings and {log.count(' ERROR ')} errors"
              + (f" ({tmp}/serve.log)" if a.keep else "") + ":")
        for line in log.splitlines():
            if " WARN " in line or " ERROR " in line or " INFO " in line:
                print("    " + line[:200])
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")


if __name__ == "__main__":
    main()
