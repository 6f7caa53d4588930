"""yingke serve --demo: migrates, collects static files, loads demo data, serves pages and
static files through gunicorn; a busy port is a clear error."""

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from tests.cli.conftest import YINGKE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(urllib.request.Request(url), timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_serve_demo(fresh_cli):
    port = free_port()
    proc = subprocess.Popen([str(YINGKE), "serve", "--demo", "--port", str(port)], env=fresh_cli.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = get(f"{base}/login/")
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        assert status == 200, proc.stdout.read() if proc.poll() is not None else status
        assert get(f"{base}/")[0] in (200, 302)
        static = sorted(p for p in (fresh_cli.home / "static").rglob("*")
                        if p.is_file() and p.suffix in (".css", ".js"))
        if static:
            rel = static[0].relative_to(fresh_cli.home / "static").as_posix()
            assert get(f"{base}/static/{rel}")[0] == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "gm" in output and "sm1" in output and "am1" in output  # demo logins printed
    assert f"http://127.0.0.1:{port}/" in output
    assert fresh_cli.sql("SELECT code FROM core_property") == [("DEMO",)]
    assert fresh_cli.sql("SELECT count(*) FROM customers_customer") == [(3000,)]


def test_serve_refuses_a_busy_port(cli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        proc = cli("serve", "--port", s.getsockname()[1])
    assert proc.returncode == 2
    assert "已被占用" in proc.stderr
