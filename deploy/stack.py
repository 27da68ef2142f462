#!/usr/bin/env python3
"""Forum scaled out on one machine: PostgreSQL, Redis, gunicorn instances behind nginx, workers.

    python deploy/stack.py start DIR [--port 8100] [--instances 2] [--workers 2]
    python deploy/stack.py stop DIR

Everything the stack writes (the database cluster, logs, PID files, the nginx configuration
and ``stack.env`` with the FORUM_* variables the instances share) stays in DIR, so several
stacks can run side by side and ``stop`` ends exactly what ``start`` began. It is the shape of
a real deployment in miniature (docs/deploy.md); the scale-out test drives it. Only the
standard library is used, so it runs before Forum is installed.
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NGINX_TEMPLATE = HERE / "nginx.conf.in"
POSTGRES_USER = "postgres"  # initdb refuses to run as root: root runs the cluster as this user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="start the whole stack in DIR")
    start_parser.add_argument("dir", type=Path)
    start_parser.add_argument("--port", type=int, default=8100, help="nginx listens here")
    start_parser.add_argument("--instances", type=int, default=2, help="gunicorn instances")
    start_parser.add_argument("--workers", type=int, default=2, help="`forum worker`s")
    start_parser.add_argument(
        "--mail-url", help="FORUM_MAIL_URL for the workers (default: files in DIR/mail)"
    )
    stop_parser = commands.add_parser("stop", help="stop what `start` began in DIR")
    stop_parser.add_argument("dir", type=Path)
    arguments = parser.parse_args()
    directory = arguments.dir.resolve()
    if arguments.command == "start":
        start(directory, arguments.port, arguments.instances, arguments.workers, arguments.mail_url)
    else:
        stop(directory)


def start(directory: Path, port: int, instances: int, workers: int, mail_url: str | None) -> None:
    if (directory / "stack.env").exists():
        sys.exit(f"{directory} already holds a stack: stop it first, or choose another folder")
    directory.mkdir(parents=True, exist_ok=True)
    # The database cluster is owned by another user when root starts the stack.
    directory.chmod(0o755)
    try:
        postgres_port, redis_port = free_port(), free_port()
        instance_ports = [free_port() for _ in range(instances)]
        environment = {
            "FORUM_DATABASE_URL": start_postgres(directory, postgres_port),
            "FORUM_REDIS_URL": start_redis(directory, redis_port),
            "FORUM_SECRET_KEY": secrets.token_hex(32),
            "FORUM_BASE_URL": f"http://127.0.0.1:{port}",
            "FORUM_MAIL_URL": mail_url or f"file://{directory / 'mail'}",
            "FORUM_INSTANCE_PATH": str(directory / "instance"),
            "FORUM_PROXIES": "1",
        }
        write_environment(directory, environment)
        env = os.environ | environment
        step("running the migrations")
        subprocess.run([forum_command(), "db", "upgrade"], env=env, check=True)
        for number, instance_port in enumerate(instance_ports, start=1):
            step(f"starting gunicorn instance {number} on 127.0.0.1:{instance_port}")
            spawn(
                directory,
                f"gunicorn-{number}",
                [
                    forum_command("gunicorn"),
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{instance_port}",
                    "forum:create_app()",
                ],
                env,
            )
        for number in range(1, workers + 1):
            step(f"starting worker {number}")
            spawn(directory, f"worker-{number}", [forum_command(), "worker"], env)
        for instance_port in instance_ports:
            wait_for_port(instance_port, "gunicorn")
        start_nginx(directory, port, instance_ports)
        (directory / "instance-ports").write_text(
            "\n".join(str(value) for value in instance_ports) + "\n"
        )
    except BaseException:
        stop(directory)
        raise
    step(f"Forum is served on http://127.0.0.1:{port}/ (stop it: deploy/stack.py stop {directory})")


def stop(directory: Path) -> None:
    """End every process the stack started; what is already gone is skipped.

    The front (nginx, instances, workers) is told to stop all at once and waited for together,
    then Redis and PostgreSQL, which the others use until they are gone.
    """
    front = [(directory / "nginx.pid", "nginx", signal.SIGQUIT, False)]
    front += [(pidfile, pidfile.stem, signal.SIGTERM, True) for pidfile in _spawned(directory)]
    wait_for_exit([signal_process(*process) for process in front])
    wait_for_exit([signal_process(directory / "redis.pid", "Redis", signal.SIGTERM, False)])
    if (directory / "postgres" / "postmaster.pid").exists():
        step("stopping PostgreSQL")
        as_postgres(
            [pg_binary("pg_ctl"), "-D", str(directory / "postgres"), "-m", "fast", "-w", "stop"],
            check=False,
        )
    (directory / "stack.env").unlink(missing_ok=True)


def _spawned(directory: Path) -> list[Path]:
    return sorted(directory.glob("worker-*.pid")) + sorted(directory.glob("gunicorn-*.pid"))


def start_postgres(directory: Path, port: int) -> str:
    step(f"starting PostgreSQL on 127.0.0.1:{port}")
    data = directory / "postgres"
    data.mkdir()
    if os.geteuid() == 0:
        account = pwd.getpwnam(POSTGRES_USER)
        os.chown(data, account.pw_uid, account.pw_gid)
    # Local connections only, trusted: the stack is a test rig on loopback (docs/deploy.md
    # sets passwords for a real server).
    as_postgres(
        [pg_binary("initdb"), "-D", str(data), "-U", "forum", "--auth=trust", "-E", "UTF8"],
        stdout=subprocess.DEVNULL,
    )
    as_postgres(
        [
            pg_binary("pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data / "server.log"),
            "-o",
            f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c max_connections=100",
            "-w",
            "start",
        ],
        stdout=subprocess.DEVNULL,
    )
    as_postgres([pg_binary("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "forum", "forum"])
    return f"postgresql+psycopg://forum@127.0.0.1:{port}/forum"


def start_redis(directory: Path, port: int) -> str:
    step(f"starting Redis on 127.0.0.1:{port}")
    binary = shutil.which("redis-server") or sys.exit("redis-server is not installed")
    subprocess.run(
        [
            binary,
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--pidfile",
            str(directory / "redis.pid"),
            "--logfile",
            str(directory / "redis.log"),
        ],
        check=True,
    )
    wait_for_port(port, "Redis")
    return f"redis://127.0.0.1:{port}/0"


def start_nginx(directory: Path, port: int, instance_ports: list[int]) -> None:
    step(f"starting nginx on 127.0.0.1:{port}")
    binary = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if binary is None:
        sys.exit("nginx is not installed (Debian: apt-get install nginx-light)")
    (directory / "nginx-temp").mkdir(exist_ok=True)
    upstreams = "\n".join(
        f"        server 127.0.0.1:{instance_port} max_fails=1 fail_timeout=5s;"
        for instance_port in instance_ports
    )
    configuration = (
        NGINX_TEMPLATE.read_text()
        .replace("@USER@", "root" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name)
        .replace("@DIR@", str(directory))
        .replace("@PORT@", str(port))
        .replace("@UPSTREAMS@", upstreams)
    )
    (directory / "nginx.conf").write_text(configuration)
    subprocess.run([binary, "-p", str(directory), "-c", str(directory / "nginx.conf")], check=True)
    wait_for_port(port, "nginx")


def spawn(directory: Path, name: str, command: list[str], env: dict[str, str]) -> None:
    """Start a long-running process in its own session, its output and PID kept in DIR."""
    with open(directory / f"{name}.log", "ab") as log:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (directory / f"{name}.pid").write_text(f"{process.pid}\n")


def signal_process(
    pidfile: Path, name: str, how: signal.Signals, group: bool
) -> tuple[int, Path] | None:
    """Send ``how`` to the process in ``pidfile``; its PID and file, if it was running."""
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    step(f"stopping {name} (pid {pid})")
    try:
        # What spawn() started leads its own session: the signal reaches gunicorn's workers
        # too. nginx and Redis daemonise themselves and pass it on to their children.
        if group:
            os.killpg(pid, how)
        else:
            os.kill(pid, how)
    except ProcessLookupError:
        pidfile.unlink(missing_ok=True)
        return None
    return pid, pidfile


def wait_for_exit(processes: list[tuple[int, Path] | None], timeout: float = 20.0) -> None:
    """Wait for the signalled processes to end; kill what is still there after ``timeout``."""
    waiting = [process for process in processes if process]
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        for pid, _ in waiting:
            reap(pid)
        waiting = [(pid, pidfile) for pid, pidfile in waiting if alive(pid)]
        time.sleep(0.05)
    for pid, _ in waiting:
        os.kill(pid, signal.SIGKILL)
    for process in processes:
        if process:
            process[1].unlink(missing_ok=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def reap(pid: int) -> None:
    """A process this one started stays a zombie until waited for."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def write_environment(directory: Path, environment: dict[str, str]) -> None:
    path = directory / "stack.env"
    path.write_text("".join(f"{name}={value}\n" for name, value in environment.items()))
    path.chmod(0o600)


def as_postgres(command: list[str], check: bool = True, **options) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", POSTGRES_USER, "--", *command]
    subprocess.run(command, check=check, **options)


def pg_binary(name: str) -> str:
    """Debian keeps the server's programs out of PATH, under /usr/lib/postgresql/<version>."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    found = str(versions[-1] / name) if versions else shutil.which(name)
    return found or sys.exit(f"PostgreSQL's {name} is not installed")


def forum_command(name: str = "forum") -> str:
    """The program installed beside the Python that runs this script (the project's venv)."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start listening on 127.0.0.1:{port} within {timeout:.0f}s")


def step(message: str) -> None:
    print(f"stack: {message}", flush=True)


if __name__ == "__main__":
    main()
