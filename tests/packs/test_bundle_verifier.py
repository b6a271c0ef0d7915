"""The signed bundle and aims-verify.py, run by a Python that has no Django (only ``cryptography``).

A genuine bundle verifies; one byte changed in any file, one field of one signed payload, the
order of the chain or the signature each fail, and the verifier names what does not match.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib.metadata
import io
import json
import re
import subprocess
import venv
import zipfile
from pathlib import Path, PurePath

import pytest
from pypdf import PdfReader

from aims import signing
from controls import services as soa
from packs import services
from packs.render import VERIFIER_PATH, verify_bundle
from packs.services import pack_file_path
from tests.controls.helpers import decide_all
from tests.packs.helpers import make_evidence, make_pack

pytestmark = pytest.mark.django_db


# --- a Python with cryptography and nothing else ------------------------------------------------------


def _distributions(name: str, seen: set[str]) -> set[str]:
    """The distribution and what it needs at run time, recursively (cryptography: cffi, pycparser, ...)."""
    if name in seen:
        return seen
    seen.add(name)
    for requirement in importlib.metadata.requires(name) or []:
        if "extra ==" in requirement:
            continue
        _distributions(re.split(r"[ ;<>=!~\[]", requirement, maxsplit=1)[0].lower(), seen)
    return seen


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory) -> Path:
    """A virtual environment without the system's or the project's packages, given only ``cryptography``.

    Works offline: the packages are linked from the environment running the tests, not downloaded.
    """
    root = tmp_path_factory.mktemp("bare-python")
    venv.EnvBuilder(with_pip=False, system_site_packages=False, symlinks=True, clear=True).create(root / "venv")
    python = root / "venv" / "bin" / "python"
    packages = root / "packages"
    packages.mkdir()
    for name in _distributions("cryptography", set()):
        distribution = importlib.metadata.distribution(name)
        for top in {PurePath(str(f)).parts[0] for f in distribution.files or []}:
            source = Path(distribution.locate_file(top))
            if top in ("..", "__pycache__") or not source.exists() or (packages / top).exists():
                continue
            (packages / top).symlink_to(source)
    site = subprocess.run(
        [python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "aims-verify-deps.pth").write_text(f"{packages}\n")
    for module, importable in (("cryptography.hazmat.primitives.asymmetric.ed25519", True), ("django", False)):
        found = subprocess.run([python, "-I", "-c", f"import {module}"], capture_output=True).returncode == 0
        assert found is importable, f"{module} {'missing from' if importable else 'importable in'} the bare Python"
    return python


def run_verifier(python: Path, bundle: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-I", str(VERIFIER_PATH), *args, str(bundle)], capture_output=True, text=True, timeout=60
    )


# --- bundles -----------------------------------------------------------------------------------------


@pytest.fixture
def bundle(world, tiny_html) -> Path:
    """A rendered pack of Acme with two evidence files and a chain of three signed SoA approvals."""
    make_evidence(world, title="Monitoring export", name="monitoring.csv", data=b"a,b\n1,2\n")
    make_evidence(world, title="Model card")
    decide_all(world.acme, world.officer)
    for n in (1, 2, 3):
        soa.soa_approve(
            verification="password", management_system=world.acme, user=world.leader, statement=f"Approval {n}.",
            confirmed=True,
        )  # fmt: skip
    pack = make_pack(world)
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    return pack_file_path(pack, "bundle")


def read_all(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_all(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def repack(files: dict[str, bytes], changed: dict[str, bytes]) -> dict[str, bytes]:
    """As someone holding the register's key would: change files, update their digests and sign again."""
    files = {**files, **changed}
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] in changed:
            entry["sha256"] = hashlib.sha256(files[entry["path"]]).hexdigest()
            entry["size"] = len(files[entry["path"]])
    files["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode()
    files["manifest.json.sig"] = signing.sign_raw(files["manifest.json"])
    return files


def flip_one_byte(content: bytes, name: str) -> bytes:
    """Change one byte, keeping JSON readable: a digit of a digest in manifest.json, else a byte in the middle."""
    if name == "manifest.json":
        position = content.index(b'"sha256": "') + len(b'"sha256": "')
    else:
        position = len(content) // 2
    replacement = b"0" if content[position : position + 1] != b"0" else b"1"
    return content[:position] + replacement + content[position + 1 :]


def last_line(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1]


# --- the tests ---------------------------------------------------------------------------------------


def test_a_genuine_bundle_verifies_with_a_python_that_has_no_django(bundle, bare_python):
    result = run_verifier(bare_python, bundle, "--fingerprint", signing.fingerprint())
    assert result.returncode == 0, result.stdout + result.stderr
    assert last_line(result).startswith("VERIFIED")
    assert "OK    signature of manifest.json: Ed25519, key fingerprint " + signing.fingerprint() in result.stdout
    assert "OK    3 sign-off(s): every digest recomputed from its signed payload" in result.stdout
    assert "(sign-off #3): signed, and sign-off #3 of the chain is the anchored head" in result.stdout
    assert verify_bundle(bundle) == []


def test_the_bundle_carries_the_manifest_the_ledger_the_verifier_and_the_public_key(bundle):
    files = read_all(bundle)
    manifest = json.loads(files["manifest.json"])
    assert {"manifest.json", "manifest.json.sig", "ledger.json", "aims-verify.py", "signing-key.pem"} <= set(files)
    assert files["aims-verify.py"] == VERIFIER_PATH.read_bytes()
    assert manifest["signing_key"]["fingerprint"] == signing.fingerprint_hex()
    assert base64.b64decode(manifest["signing_key"]["public_key"]) == signing.public_key_raw()
    assert signing.verify(files["manifest.json"], files["manifest.json.sig"])
    ledger = json.loads(files["ledger.json"])
    assert [s["sequence"] for s in ledger["signoffs"]] == [1, 2, 3]
    assert ledger["signoffs"][0]["payload"]["statement"] == "Approval 1."
    assert len(ledger["signoffs"][0]["payload"]["versions"]) == 38  # every SoA row as signed
    assert ledger["anchor"]["sequence"] == 3 and manifest["signoff_chain"]["anchor"]["sequence"] == 3


def test_the_pdf_is_pdf_a_3b_and_embeds_the_manifest_of_every_other_file(bundle):
    files = read_all(bundle)
    manifest = json.loads(files["manifest.json"])
    reader = PdfReader(io.BytesIO(files[manifest["pdf"]["path"]]))
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in metadata and 'pdfaid:conformance="B"' in metadata
    assert reader.trailer["/Root"]["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    embedded = reader.attachments["manifest.json"][0]
    assert hashlib.sha256(embedded).hexdigest() == manifest["pdf"]["embedded_manifest_sha256"]
    assert signing.verify(embedded, reader.attachments["manifest.json.sig"][0])
    inner = json.loads(embedded)
    assert inner["files"] == [e for e in manifest["files"] if e["path"] != manifest["pdf"]["path"]]
    for filespec in reader.trailer["/Root"]["/AF"]:
        assert filespec.get_object()["/AFRelationship"] == "/Data"
    for page in reader.pages:  # PDF/A: every font is embedded
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font)["/FontDescriptor"].get_object()
            assert any(key.startswith("/FontFile") for key in descriptor), font["/BaseFont"]


def test_one_byte_changed_in_any_file_fails_and_names_it(bundle, bare_python, tmp_path):
    files = read_all(bundle)
    for name in files:
        tampered = write_all(tmp_path / "tampered.zip", {**files, name: flip_one_byte(files[name], name)})
        result = run_verifier(bare_python, tampered)
        assert result.returncode == 1, (name, result.stdout)
        if name in ("manifest.json", "manifest.json.sig"):
            expected = "NOT VERIFIED: signature: manifest.json.sig is not the signature of manifest.json"
        else:
            expected = f"NOT VERIFIED: file {name}: SHA-256 differs from manifest.json"
        assert last_line(result).startswith(expected), (name, result.stdout)


def test_one_field_of_one_signed_payload_changed_fails_and_names_the_sign_off(bundle, bare_python, tmp_path):
    files = read_all(bundle)
    ledger = json.loads(files["ledger.json"])
    ledger["signoffs"][1]["payload"]["statement"] = "I approve nothing."
    changed = {"ledger.json": json.dumps(ledger, indent=2).encode()}
    result = run_verifier(bare_python, write_all(tmp_path / "a.zip", {**files, **changed}))
    assert result.returncode == 1
    assert last_line(result).startswith("NOT VERIFIED: file ledger.json: SHA-256 differs")
    assert "FAIL  sign-off #2: digest does not match its signed payload" in result.stdout
    # Even re-packed and signed again with the register's key, the payload no longer matches its digest.
    result = run_verifier(bare_python, write_all(tmp_path / "b.zip", repack(files, changed)))
    assert last_line(result) == "NOT VERIFIED: sign-off #2: digest does not match its signed payload"


def test_a_payload_rewritten_with_its_digest_recomputed_fails_on_its_signature(bundle, bare_python, tmp_path):
    files = read_all(bundle)
    ledger = json.loads(files["ledger.json"])
    entry = ledger["signoffs"][2]
    entry["payload"]["statement"] = "Rewritten."
    entry["digest"] = hashlib.sha256(
        json.dumps(entry["payload"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    repacked = repack(files, {"ledger.json": json.dumps(ledger).encode()})
    result = run_verifier(bare_python, write_all(tmp_path / "c.zip", repacked))
    assert last_line(result).startswith("NOT VERIFIED: sign-off #3: signature is not the key's signature of its digest")


def test_the_chain_in_another_order_fails_and_names_the_broken_link(bundle, bare_python, tmp_path):
    files = read_all(bundle)
    ledger = json.loads(files["ledger.json"])
    ledger["signoffs"][0], ledger["signoffs"][1] = ledger["signoffs"][1], ledger["signoffs"][0]
    repacked = repack(files, {"ledger.json": json.dumps(ledger).encode()})
    result = run_verifier(bare_python, write_all(tmp_path / "d.zip", repacked))
    assert result.returncode == 1
    assert last_line(result).startswith("NOT VERIFIED: sign-off #2: chain link broken at position 1")
    ledger = json.loads(files["ledger.json"])
    del ledger["signoffs"][1]  # a sign-off removed
    repacked = repack(files, {"ledger.json": json.dumps(ledger).encode()})
    result = run_verifier(bare_python, write_all(tmp_path / "e.zip", repacked))
    assert last_line(result).startswith("NOT VERIFIED: sign-off #3: chain link broken at position 2")


def test_a_changed_signature_or_another_key_fails(bundle, bare_python, tmp_path, settings):
    files = read_all(bundle)
    signature = bytearray(files["manifest.json.sig"])
    signature[10] ^= 0x01
    result = run_verifier(bare_python, write_all(tmp_path / "f.zip", {**files, "manifest.json.sig": bytes(signature)}))
    assert result.returncode == 1
    assert last_line(result) == (
        "NOT VERIFIED: signature: manifest.json.sig is not the signature of manifest.json by the key the manifest names"
    )
    result = run_verifier(bare_python, bundle, "--fingerprint", "00" * 32)
    assert result.returncode == 1 and "NOT VERIFIED: signing key: its fingerprint" in last_line(result)
    # A bundle re-signed with another key, naming that key: the fingerprint tells it apart.
    settings.AIMS_SIGNING_KEY = signing.new_private_key_pem().decode()
    manifest = json.loads(files["manifest.json"])
    manifest["signing_key"]["public_key"] = signing.public_key_b64()
    forged = {**files, "manifest.json": json.dumps(manifest).encode()}
    forged["manifest.json.sig"] = signing.sign_raw(forged["manifest.json"])
    forged_fingerprint = signing.fingerprint()
    settings.AIMS_SIGNING_KEY = ""
    result = run_verifier(bare_python, write_all(tmp_path / "g.zip", forged), "--fingerprint", signing.fingerprint())
    assert result.returncode == 1 and forged_fingerprint in result.stdout
    assert "sign-off #1: signature is not the key's signature of its digest" in result.stdout


def test_what_is_not_a_bundle_cannot_be_verified(bare_python, tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    result = run_verifier(bare_python, tmp_path / "x.zip")
    assert result.returncode == 2 and result.stdout.startswith("CANNOT VERIFY:")
    result = run_verifier(bare_python, write_all(tmp_path / "y.zip", {"a.txt": b"a"}))
    assert result.returncode == 2 and "has no manifest.json" in result.stdout


def test_the_verifier_is_one_file_that_imports_no_django():
    tree = ast.parse(VERIFIER_PATH.read_text())
    imports = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imports |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in imports} <= {
        "__future__", "argparse", "base64", "binascii", "hashlib", "json", "sys", "zipfile", "cryptography",
    }  # fmt: skip
