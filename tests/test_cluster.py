"""`--scheduler`: the batch on a Dask cluster (a LocalCluster of two worker processes)."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from kit import render

pytestmark = pytest.mark.slow
REQUESTS = (["META", "MSFT", "NVDA"], "2024-04-26")


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as c, Client(c) as client:
        yield c, client


@pytest.fixture(scope="module")
def local_pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    result = render.render_all(*REQUESTS, out, progress=False)
    assert not result.failed
    return out


def test_pages_from_the_cluster_equal_the_local_ones_byte_for_byte(cluster, local_pages,
                                                                   tmp_path):
    c, _ = cluster
    result = render.render_all(*REQUESTS, tmp_path, progress=False,
                               scheduler=c.scheduler_address)
    assert not result.failed and len(result.rendered) == 3
    for stem, path in result.rendered.items():
        assert path.read_bytes() == (local_pages / f"{stem}.html").read_bytes(), stem
        assert path.with_suffix(".ipynb").is_file()
    again = render.render_all(*REQUESTS, tmp_path, progress=False,
                              scheduler=c.scheduler_address)
    assert again.rendered == {} and len(again.up_to_date) == 3  # fingerprints as locally


def test_a_worker_killed_mid_task_costs_only_that_task(cluster, local_pages, tmp_path):
    c, client = cluster
    client.wait_for_workers(2)
    pids = client.run(os.getpid)
    box = {}
    batch = threading.Thread(target=lambda: box.update(result=render.render_all(
        *REQUESTS, tmp_path, progress=False, scheduler=c.scheduler_address, force=True)))
    batch.start()
    victim = None
    until = time.monotonic() + 120
    while victim is None and time.monotonic() < until:
        busy = {w: p for w, p in client.processing().items() if p}
        victim = next(iter(busy), None)
        time.sleep(0.2)
    assert victim, "no task started on the cluster"
    time.sleep(1.0)  # into the briefing
    os.kill(pids[victim], signal.SIGKILL)
    batch.join(timeout=300)
    result = box["result"]
    assert result.failed == {} and len(result.rendered) == 3
    for stem, path in result.rendered.items():
        assert path.read_bytes() == (local_pages / f"{stem}.html").read_bytes(), stem
    assert victim not in client.run(os.getpid)


def test_without_a_scheduler_dask_is_not_imported(tmp_path):
    code = ("import sys; from kit import cli; "
            f"rc = cli.main(['render', 'META', 'NVDA', '--as-of', '2024-04-25', '--out', "
            f"{str(tmp_path)!r}, '--no-progress']); "
            "assert rc == 0; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().splitlines()[-1] == "[]"


def test_an_unreachable_scheduler_is_one_message_exit_1_and_no_page(tmp_path):
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "META", "NVDA", "--as-of",
                          "2024-04-25", "--out", str(tmp_path / "out"), "--no-progress",
                          "--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True)
    assert res.returncode == 1
    assert "--scheduler tcp://127.0.0.1:9: cannot reach a Dask scheduler there" in res.stderr
    assert "dask scheduler" in res.stderr and "Traceback" not in res.stderr
    assert not list((tmp_path / "out").glob("*.html"))


@pytest.fixture
def not_a_scheduler():
    """Servers on loopback that are not Dask schedulers: one answers HTTP, one sends bytes
    that are not Dask's and one accepts and never answers; and a port nothing listens on."""
    import http.server
    import socket
    import socketserver

    class Garbage(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.sendall(b"\xff" * 64 + b"not a dask scheduler\r\n" * 100)
            time.sleep(2)

    class Silent(socketserver.BaseRequestHandler):
        def handle(self):
            time.sleep(60)

    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                http.server.SimpleHTTPRequestHandler)]
    servers += [socketserver.ThreadingTCPServer(("127.0.0.1", 0), h) for h in (Garbage, Silent)]
    for s in servers:
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    yield {"http": f"tcp://127.0.0.1:{servers[0].server_address[1]}",
           "garbage": f"tcp://127.0.0.1:{servers[1].server_address[1]}",
           "silent": f"tcp://127.0.0.1:{servers[2].server_address[1]}",
           "closed": f"tcp://127.0.0.1:{port}",
           "tls": f"tls://127.0.0.1:{servers[0].server_address[1]}"}
    for s in servers:
        s.shutdown()


@pytest.mark.parametrize("case", ["http", "garbage", "silent", "closed", "tls"])
def test_a_scheduler_address_that_is_not_a_dask_scheduler_is_one_message_within_30_s(
        case, not_a_scheduler, tmp_path):
    address = not_a_scheduler[case]
    started = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "META", "NVDA", "--as-of",
                          "2024-04-25", "--out", str(tmp_path / "out"), "--no-progress",
                          "--scheduler", address], capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 30  # a hang guard, not a speed target
    assert res.returncode == 1, res.stderr
    assert f"--scheduler {address}: cannot reach a Dask scheduler there" in res.stderr
    assert "Traceback" not in res.stderr
    if case == "tls":
        assert "TLS needs Dask's TLS settings" in res.stderr


def test_a_tls_scheduler_works_with_dasks_own_tls_settings(local_pages, tmp_path):
    """A scheduler and worker that speak only TLS, with certificates: `--scheduler tls://…`
    renders through the Dask configuration's TLS settings (here its environment variables),
    and without them it is the one message that names them."""
    from distributed import LocalCluster
    from distributed.security import Security

    security = Security.temporary()  # a CA, and a certificate and key signed by it
    env = dict(os.environ)
    for name, pem in (("CA_FILE", security.tls_ca_file), ("CLIENT__CERT", security.tls_client_cert),
                      ("CLIENT__KEY", security.tls_client_key)):
        (tmp_path / name).write_text(pem)
        env[f"DASK_DISTRIBUTED__COMM__TLS__{name}"] = str(tmp_path / name)
    tickers, day = REQUESTS[0][:2], REQUESTS[1]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, protocol="tls",
                      security=security, dashboard_address=None) as c:
        assert c.scheduler_address.startswith("tls://")
        args = [sys.executable, "-m", "kit.cli", "render", *tickers, "--as-of", day,
                "--out", str(tmp_path / "out"), "--no-progress", "--scheduler",
                c.scheduler_address]
        refused = subprocess.run(args, capture_output=True, text=True, timeout=120,
                                 env={k: v for k, v in env.items() if "__TLS__" not in k})
        assert refused.returncode == 1 and "TLS needs Dask's TLS settings" in refused.stderr
        res = subprocess.run(args, capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    for ticker in tickers:
        name = f"{ticker}-{day}.html"
        assert (tmp_path / "out" / name).read_bytes() == (local_pages / name).read_bytes()
