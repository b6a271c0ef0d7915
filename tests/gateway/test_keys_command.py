"""``manage.py create_gateway_key`` prints the key alone on standard output and fails clearly."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gateway.keys import services
from gateway.models import GatewayKey
from tests.factories import make_ai_system


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_gateway_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_only_a_working_key(world):
    system = make_ai_system(world.acme, user=world.officer)

    out, err = _run(system.reference.lower(), "--name", "CI", "--days", "7")

    plaintext = out.strip()
    assert out == plaintext + "\n" and plaintext.startswith("aimsgw_")
    assert services.key_authenticate(plaintext).ai_system == system
    assert plaintext not in err and "GWK-001" in err


def test_an_ambiguous_reference_needs_the_management_system(world):
    make_ai_system(world.acme, user=world.officer)
    theirs = make_ai_system(world.northwind, user=world.outsider)

    with pytest.raises(CommandError, match="several management systems"):
        _run("AIS-001", "--name", "CI")
    out, _err = _run("AIS-001", "--name", "CI", "--management-system", world.northwind.name)
    assert services.key_authenticate(out.strip()).ai_system == theirs
    out, _err = _run("AIS-001", "--name", "CI", "--management-system", str(world.northwind.pk))
    assert services.key_authenticate(out.strip()).ai_system == theirs


@pytest.mark.parametrize(
    "args, message",
    [
        (("AIS-404", "--name", "CI"), "No AI system AIS-404"),
        (("AIS-001", "--name", "CI", "--days", "0"), "from 1 to"),
        (("AIS-001", "--name", "CI", "--management-system", "Nowhere"), "No AI system AIS-001 in"),
    ],
)
def test_the_command_fails_clearly(world, args, message):
    make_ai_system(world.acme, user=world.officer)
    with pytest.raises(CommandError, match=message):
        _run(*args)
    assert not GatewayKey.objects.exists()
