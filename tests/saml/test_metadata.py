"""Reading IdP metadata: what is kept, and every way a file is refused."""

import base64

import pytest

from rollcall.errors import InvalidInputError
from rollcall.saml.keys import KeyPair
from rollcall.saml.sp import parse_idp_metadata
from tests.saml.idp import POST, REDIRECT, TestIdP, metadata_xml

ENTITY = "https://idp.example.test/saml/metadata"


def refusal(xml: str) -> str:
    with pytest.raises(InvalidInputError) as caught:
        parse_idp_metadata(xml)
    return caught.value.detail


def test_reads_entity_id_redirect_sso_url_and_certificate(test_idp: TestIdP) -> None:
    idp = parse_idp_metadata(test_idp.metadata())

    assert idp.entity_id == ENTITY
    assert idp.sso_url == test_idp.sso_url
    assert idp.sso_binding == REDIRECT
    assert idp.certificates == [test_idp.keys.cert_base64]
    assert idp.metadata_xml == test_idp.metadata()


def test_prefers_redirect_binding_when_both_are_listed(idp_keys: KeyPair) -> None:
    xml = metadata_xml(
        ENTITY,
        [(POST, "https://idp.example.test/post"), (REDIRECT, "https://idp/redirect")],
        [idp_keys.cert_base64],
    )

    idp = parse_idp_metadata(xml)

    assert (idp.sso_url, idp.sso_binding) == ("https://idp/redirect", REDIRECT)


def test_falls_back_to_post_binding(test_idp: TestIdP) -> None:
    idp = parse_idp_metadata(test_idp.metadata(bindings=[POST]))

    assert (idp.sso_url, idp.sso_binding) == (test_idp.sso_url, POST)


def test_keeps_every_signing_certificate_for_rollover(
    test_idp: TestIdP, new_idp_keys: KeyPair
) -> None:
    idp = parse_idp_metadata(test_idp.metadata(certs=[test_idp.keys, new_idp_keys]))

    assert idp.certificates == [test_idp.keys.cert_base64, new_idp_keys.cert_base64]


def test_key_descriptor_without_use_counts_as_signing(idp_keys: KeyPair) -> None:
    xml = metadata_xml(
        ENTITY, [(REDIRECT, "https://idp/sso")], [idp_keys.cert_base64], use=None
    )

    assert parse_idp_metadata(xml).certificates == [idp_keys.cert_base64]


def test_certificate_with_line_breaks_is_read_as_one_value(idp_keys: KeyPair) -> None:
    cert = idp_keys.cert_base64
    wrapped = "\n".join(cert[i : i + 64] for i in range(0, len(cert), 64))
    xml = metadata_xml(ENTITY, [(REDIRECT, "https://idp/sso")], [f"\n  {wrapped}\n"])

    assert parse_idp_metadata(xml).certificates == [cert]


def test_entities_descriptor_with_one_idp_is_accepted(test_idp: TestIdP) -> None:
    inner = test_idp.metadata().split("?>", 1)[1]
    xml = (
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        f"{inner}</md:EntitiesDescriptor>"
    )

    assert parse_idp_metadata(xml).entity_id == ENTITY


def test_entities_descriptor_with_several_idps_is_refused(test_idp: TestIdP) -> None:
    inner = test_idp.metadata().split("?>", 1)[1]
    other = inner.replace(ENTITY, "https://other.example.test/")
    xml = (
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        f"{inner}{other}</md:EntitiesDescriptor>"
    )

    assert "2 identity providers" in refusal(xml)


def test_empty_file_is_refused() -> None:
    assert "empty" in refusal("  \n")


def test_file_over_one_mebibyte_is_refused(test_idp: TestIdP) -> None:
    padding = "<!--" + "x" * (1024 * 1024) + "-->"

    assert "1 MiB" in refusal(test_idp.metadata() + padding)


def test_text_that_is_not_xml_is_refused() -> None:
    assert "not well-formed XML" in refusal("entityID=https://idp.example.test")


def test_doctype_is_refused(test_idp: TestIdP) -> None:
    xml = test_idp.metadata().replace("?>", "?><!DOCTYPE md:EntityDescriptor [ ]>", 1)

    assert "DOCTYPE" in refusal(xml)


def test_external_entity_is_refused_without_being_fetched(test_idp: TestIdP) -> None:
    xml = (
        test_idp.metadata()
        .replace(
            "?>",
            '?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            1,
        )
        .replace(ENTITY, "&xxe;")
    )

    detail = refusal(xml)

    assert "DOCTYPE" in detail
    assert "root:" not in detail


def test_billion_laughs_entities_are_refused(test_idp: TestIdP) -> None:
    xml = (
        test_idp.metadata()
        .replace("?>", '?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>', 1)
        .replace(ENTITY, "&b;")
    )

    assert "entities" in refusal(xml)


def test_xml_that_is_not_an_entity_descriptor_is_refused() -> None:
    detail = refusal('<samlp:Response xmlns:samlp="urn:x"/>')

    assert "not SAML metadata" in detail


def test_sp_metadata_without_idp_descriptor_is_refused() -> None:
    xml = (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="https://sp.example.test"><md:SPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
        "</md:EntityDescriptor>"
    )

    assert "no IDPSSODescriptor" in refusal(xml)


def test_metadata_without_sso_service_is_refused(idp_keys: KeyPair) -> None:
    xml = metadata_xml(ENTITY, [], [idp_keys.cert_base64])

    assert "no SingleSignOnService" in refusal(xml)


def test_sso_service_with_only_an_artifact_binding_is_refused(
    idp_keys: KeyPair,
) -> None:
    artifact = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
    xml = metadata_xml(ENTITY, [(artifact, "https://idp/a")], [idp_keys.cert_base64])

    assert "no SingleSignOnService" in refusal(xml)


def test_sso_url_that_is_not_http_is_refused(idp_keys: KeyPair) -> None:
    xml = metadata_xml(
        ENTITY, [(REDIRECT, "javascript:alert(1)")], [idp_keys.cert_base64]
    )

    assert "not a plain http(s) URL" in refusal(xml)


def test_metadata_without_certificate_is_refused() -> None:
    xml = metadata_xml(ENTITY, [(REDIRECT, "https://idp/sso")], [])

    assert "no signing certificate" in refusal(xml)


def test_encryption_only_certificate_does_not_count_as_signing(
    idp_keys: KeyPair,
) -> None:
    xml = metadata_xml(
        ENTITY,
        [(REDIRECT, "https://idp/sso")],
        [idp_keys.cert_base64],
        use="encryption",
    )

    assert "no signing certificate" in refusal(xml)


def test_certificate_that_is_not_base64_is_refused() -> None:
    xml = metadata_xml(ENTITY, [(REDIRECT, "https://idp/sso")], ["not*base64!"])

    assert "not valid base64" in refusal(xml)


def test_base64_that_is_not_a_certificate_is_refused() -> None:
    junk = base64.b64encode(b"this is no certificate at all").decode()
    xml = metadata_xml(ENTITY, [(REDIRECT, "https://idp/sso")], [junk])

    assert "not an X.509 certificate" in refusal(xml)


def test_missing_entity_id_is_refused(idp_keys: KeyPair) -> None:
    xml = metadata_xml("", [(REDIRECT, "https://idp/sso")], [idp_keys.cert_base64])

    assert "no entityID" in refusal(xml)
