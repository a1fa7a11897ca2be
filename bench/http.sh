#!/usr/bin/env bash
# HTTP serving: this library's streaming vs Netty's ChunkedNioFile and sendfile, under wrk (HTTP/2 under h2load with
# --http2). See http_bench.py --help.
exec python3 "$(dirname "$0")/http_bench.py" "$@"
