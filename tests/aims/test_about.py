"""The About page: version, the signing key's fingerprint and public key, how to check a pack."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from django.urls import reverse

import aims
from aims import signing

pytestmark = pytest.mark.django_db


def test_about_page_shows_the_version_the_key_fingerprint_and_how_to_verify_a_pack(client_as):
    response = client_as("contributor").get(reverse("aims:about"))
    html = response.content.decode()
    assert response.status_code == 200
    assert aims.__version__ in html and signing.fingerprint() in html and signing.public_key_pem().strip() in html
    assert reverse("pack_tools:verifier") in html and "python aims-verify.py --fingerprint" in html
    home = client_as("auditor").get(reverse("aims:home"), follow=True).content.decode()
    assert f'href="{reverse("aims:about")}"' in home  # linked from every page


def test_public_key_download_is_the_registers_key(client_as):
    response = client_as("outsider").get(reverse("aims:signing_key"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    key = serialization.load_pem_public_key(response.content)
    assert signing.fingerprint_hex(signing.public_key_raw(key)) == signing.fingerprint_hex()


@pytest.mark.parametrize("name", ["aims:about", "aims:signing_key", "pack_tools:verifier"])
def test_about_page_key_and_verifier_need_a_login(client_as, name):
    response = client_as("anonymous").get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]
