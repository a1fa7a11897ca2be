"""nginx (Debian's package) on loopback with a config of its own: one worker, sendfile on, aio threads."""
import os
import socket
import subprocess
import sys
import time

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    aio threads;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{compare}
    server {{
        listen 127.0.0.1:{port};
        root {root};
{location}
    }}
}}
"""

# for the side-by-side comparison: what the library does by default and nginx can be told to do
COMPARE = """
    # UTF-8 named on plain text, styles and scripts (nginx always adds text/html, which the library leaves alone)
    charset utf-8;
    charset_types text/plain text/css application/javascript text/javascript text/markdown;
    gzip_static on;
    gzip_vary on;"""
# dotfiles are not served (the library's default), and answer as if absent
COMPARE_LOCATION = """        location ~ /\\. { return 404; }"""


def wait_port(port, proc, what):
    for _ in range(200):
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not listen on {port}")


def start_nginx(tmp, root, port, compare=False):
    """Starts nginx serving root on 127.0.0.1:port, its files under tmp; compare adds the settings of COMPARE."""
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, root=root, port=port, user="user root;" if os.geteuid() == 0 else "",
                                  compare=COMPARE if compare else "", location=COMPARE_LOCATION if compare else ""))
    p = subprocess.Popen(["nginx", "-p", tmp, "-e", os.path.join(tmp, "error.log"), "-c", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, p, "nginx")
    return p


