"""``relais flows check|graph`` and ``relais simulate``.

``flows check`` needs no database or Redis: it loads and checks every flow
file (schema, reachability, dead ends, translations, SMS and USSD lengths)
and exits 1 when anything is wrong, printing ``file:line: message``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from gateway.flows.errors import FlowError
from gateway.flows.loader import FLOWS_DIR
from gateway.flows.yamlsource import read_yaml


@click.group("flows")
def flows_group() -> None:
    """Conversation flows (data in flows/)."""


def _flow_files(directory: Path) -> list[Path]:
    paths = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data, _ = read_yaml(path)
        except FlowError:
            paths.append(path)  # let check_flow report it with its line
            continue
        if isinstance(data, dict) and "flow" in data:
            paths.append(path)
    return paths


@flows_group.command("check")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=FLOWS_DIR)
def flows_check(directory: Path) -> None:
    """Check every flow file; exit 1 on any problem."""
    from gateway.flows import check_flow
    from gateway.flows.oneshot import load_oneshot

    problems = []
    files = _flow_files(directory)
    for path in files:
        problems.extend(check_flow(path))
    try:
        load_oneshot(directory / "oneshot.yaml")
    except FlowError as exc:
        problems.extend(exc.problems)
    for problem in problems:
        click.echo(str(problem))
    if problems or not files:
        click.echo(f"{len(problems)} problem(s) in {len(files)} flow file(s)", err=True)
        sys.exit(1)
    click.echo(f"{len(files)} flow file(s) OK")


@flows_group.command("graph")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=FLOWS_DIR)
def flows_graph(name: str, directory: Path) -> None:
    """Print the Mermaid diagram of flow NAME (e.g. ``alert``)."""
    from gateway.flows import load_flows, to_mermaid

    flows = load_flows(directory)
    if name not in flows:
        raise click.BadParameter(f"no flow {name!r}; known: {', '.join(sorted(flows))}")
    click.echo(to_mermaid(flows[name]), nl=False)


@click.command("simulate")
@click.option("--channel", type=click.Choice(["sms", "ussd"]), default="sms")
@click.option("--lang", type=click.Choice(["fr", "bm", "en"]), default=None)
@click.option(
    "--number",
    default=None,
    help="The simulated phone number (default: a free one of the simulator's range).",
)
@with_appcontext
def simulate(channel: str, lang: str | None, number: str | None) -> None:
    """Talk to the alert flow in the terminal (sandbox channel, training data)."""
    from gateway import runtime
    from gateway.models import Contact
    from gateway.phones import InvalidNumber, normalize
    from gateway.referrals.lookups import is_simulated_phone
    from gateway.simulate import Phone, training_number

    rt = runtime.current()
    with rt.db.session() as session:
        if number is None:
            number = training_number(session, 0)
        try:
            e164 = normalize(number)
        except InvalidNumber as exc:
            raise click.BadParameter(
                f"{number!r} is not a phone number", param_hint="--number"
            ) from exc
        known = Contact.find(session, e164)
        # A real person's or a focal point's number would make their contact a
        # training case's reporter: its data would show to trainers.
        if known is not None and not is_simulated_phone(session, known):
            raise click.BadParameter(
                "this number is a real person's or a focal point's; "
                "leave --number out to use a simulated one",
                param_hint="--number",
            )
    phone = Phone(rt, e164, language=lang)
    click.echo(f"Simulating {channel.upper()} from {number}. Empty line or Ctrl-D to quit.")
    if channel == "ussd":
        click.echo(phone.dial())
    else:
        click.echo("(send any message to start)")
    while True:
        try:
            text = input("> ")
        except EOFError:
            break
        if not text:
            break
        if channel == "ussd":
            screen = phone.ussd(text)
            click.echo(screen)
            if screen.startswith("END "):
                break
        else:
            for reply in phone.sms(text):
                click.echo(f"< {reply}")
