"""``make run``: everything a newcomer needs, on embedded defaults.

1. development secrets (generated once, kept outside the repository);
2. an embedded Redis when ``REDIS_URL`` is unset (data kept in ``instance/``);
3. the release step: migrations, then the demo directory when it exists;
4. two console users for development, ``admin`` and ``trainer``, with the
   generated development password (printed);
5. the Procfile's ``web`` and ``worker`` under honcho, until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from dotenv import dotenv_values

from gateway.config import PROJECT_ROOT, ConfigError, load_settings
from gateway.devsecrets import dev_secrets
from gateway.embedded_redis import EMBEDDED_PORT, EMBEDDED_URL, EmbeddedRedis, answers

DEMO_DIRECTORY = PROJECT_ROOT / "examples" / "bamako-directory.yaml"


DEV_USERS = (("admin", "admin"), ("trainer", "trainer"))


def _ensure_dev_users(relais: str, env: dict[str, str], password: str) -> None:
    """Create the development console users unless they exist."""
    for name, role in DEV_USERS:
        result = subprocess.run(  # noqa: S603 - our own command
            [relais, "users", "add", name, "--role", role, "--password-stdin"],
            input=password + "\n",
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 and "already exists" not in result.stdout + result.stderr:
            print(f"could not create the {name} user: {result.stderr.strip()}", file=sys.stderr)


def _banner(port: int, redis_url: str, embedded: bool, password: str) -> str:
    base = f"http://localhost:{port}"
    return "\n".join(
        [
            "",
            "Relais is starting (development).",
            f"  Console:    {base}/console/  (users admin and trainer, password {password})",
            f"  Health:     {base}/healthz   Readiness: {base}/readyz",
            f"  Simulator:  {base}/console/simulator  (a phone on screen: no provider needed)",
            f"  Webhooks:   {base}/webhooks/twilio/sms  (signed with TWILIO_AUTH_TOKEN)",
            f"              {base}/webhooks/africastalking/ussd?token=AT_WEBHOOK_TOKEN",
            f"  Redis:      {redis_url}" + ("  (embedded)" if embedded else ""),
            "  Stop with Ctrl-C.",
            "",
        ]
    )


def _run_until_stopped(command: list[str], env: dict[str, str]) -> int:
    """Run honcho; a SIGTERM to us stops it (and so web and worker) before we exit.

    Ctrl-C reaches every process of the terminal's group by itself: honcho
    stops its children (and kills those that do not stop in time), so we only
    wait for it — killing honcho instead would orphan gunicorn and the worker.
    A SIGTERM (``kill``, a container stop) reaches only this process, and
    without the handler would leave gunicorn holding the port and the worker
    running. Neither handler raises: a KeyboardInterrupt inside ``Popen.wait``
    can leave its internal lock held, and the next wait then blocks for ever
    on a process already gone.
    """
    proc = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT)  # noqa: S603

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        proc.terminate()

    previous = signal.signal(signal.SIGTERM, _stop)
    previous_int = signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    try:
        return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def environment(shell: Mapping[str, str], dotenv_file: Path) -> dict[str, str]:
    """The one configuration every step of ``make run`` uses: ``dotenv_file``
    under the shell's environment (a variable set in the shell wins, as for
    the ``relais`` commands). honcho is told not to read ``.env`` again:
    otherwise the banner, the release step and the processes could each see a
    different port, database or Redis."""
    # An empty value in .env (``SECRET_KEY=``) means "the default", as unset.
    dotenv = {k: v for k, v in dotenv_values(dotenv_file).items() if v}
    return {**dotenv, **shell}


def main() -> int:
    """Set up and run web + worker; returns the exit code."""
    env = environment(os.environ, PROJECT_ROOT / ".env")
    env.setdefault("RELAIS_ENV", "development")
    if env["RELAIS_ENV"] == "production":
        print("make run is for development; use the Procfile in production.", file=sys.stderr)
        return 2
    try:
        settings = load_settings(environ=env)
    except ConfigError as exc:  # a bad value in .env or the shell: say which
        print(f"make run: {exc}", file=sys.stderr)
        return 2
    env.setdefault("SECRET_KEY", settings.SECRET_KEY)
    env.setdefault("DATA_KEYS", settings.DATA_KEYS)
    env.setdefault("DATABASE_URL", settings.DATABASE_URL)
    if not env.get("DIRECTORY_FILE") and DEMO_DIRECTORY.exists():
        env["DIRECTORY_FILE"] = str(DEMO_DIRECTORY)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")

    redis: EmbeddedRedis | None = None
    if not env.get("REDIS_URL"):
        redis = EmbeddedRedis(
            PROJECT_ROOT / "instance" / "redis", EMBEDDED_PORT, persist=True, own_session=True
        )
        if answers(redis.url):
            redis = None  # one is already running from an earlier `make run`
        else:
            redis.start()
        env["REDIS_URL"] = EMBEDDED_URL
    try:
        subprocess.run([bin_dir + "/relais", "release"], env=env, check=True, cwd=PROJECT_ROOT)  # noqa: S603
        password = dev_secrets()["DEV_CONSOLE_PASSWORD"]
        _ensure_dev_users(bin_dir + "/relais", env, password)
        print(_banner(settings.PORT, env["REDIS_URL"], redis is not None, password), flush=True)
        # Development listens on loopback only: the console's password is printed.
        env.setdefault("WEB_BIND", "127.0.0.1")
        honcho = [bin_dir + "/honcho", "-e", os.devnull, "-f", str(PROJECT_ROOT / "Procfile")]
        honcho += ["start"]
        honcho += ["-p", str(settings.PORT), "web", "worker"]
        return _run_until_stopped(honcho, env)
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as exc:
        print(f"release step failed with exit code {exc.returncode}", file=sys.stderr)
        return exc.returncode
    finally:
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
