"""Recognizers for UK identifiers Presidio does not check well enough, and an offline e-mail recognizer."""

from __future__ import annotations

import ipaddress
import re

import phonenumbers
import tldextract
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import EmailRecognizer


def offline_tld_extract() -> tldextract.TLDExtract:
    """Return an extractor on the public suffix list bundled with tldextract: no cache, no URL to fetch."""
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


OFFLINE_TLD_EXTRACT = offline_tld_extract()

# HMRC never uses D, F, I, Q, U or V in a prefix (nor O second), nor allocates these prefixes.
NINO_FIRST_LETTERS = "ABCEGHJKLMNOPRSTWXYZ"
NINO_SECOND_LETTERS = "ABCEGHJKLMNPRSTWXYZ"
NINO_EXCLUDED_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
# The runs of non-space characters that hold an "@": where an e-mail address can be.
AT_RUNS = re.compile(r"\S*@\S*")


def nhs_number_is_valid(digits: str) -> bool:
    """Return True if ten digits carry a correct NHS modulus-11 check digit."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    remainder = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def nino_is_valid(text: str) -> bool:
    """Return True if a National Insurance number follows HMRC's allocation rules."""
    compact = re.sub(r"[\s-]", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", compact):
        return False
    prefix = compact[:2]
    return prefix[0] in NINO_FIRST_LETTERS and prefix[1] in NINO_SECOND_LETTERS and prefix not in NINO_EXCLUDED_PREFIXES


class NhsNumberRecognizer(PatternRecognizer):
    """Recognise an NHS number: ten digits (often 3-3-4) whose modulus-11 check digit is right."""

    PATTERNS = [Pattern("NHS number", r"(?<![\d-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d-])", 0.4)]
    CONTEXT = ["nhs", "nhs number", "patient", "health"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="NHS_NUMBER",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language="en",
            name="NhsNumberRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Accept the match only if its check digit is right."""
        return nhs_number_is_valid(EntityRecognizer.sanitize_value(pattern_text, [(" ", ""), ("-", "")]))


class UkNinoRecognizer(PatternRecognizer):
    """Recognise a UK National Insurance number: two prefix letters, six digits, a suffix A-D."""

    PATTERNS = [
        Pattern(
            "NINO",
            r"\b[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D]\b",
            0.5,
        )
    ]
    CONTEXT = ["national insurance", "ni number", "nino", "insurance"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="UK_NINO",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language="en",
            name="UkNinoRecognizer",
            global_regex_flags=re.DOTALL | re.MULTILINE | re.IGNORECASE,
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Accept the match only if its prefix and suffix are ones HMRC allocates."""
        return nino_is_valid(pattern_text)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, checking the domain against the bundled public suffix list."""

    def __init__(self) -> None:
        super().__init__(name="OfflineEmailRecognizer")

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None, **kwargs: object
    ) -> list[RecognizerResult]:
        """Run the (costly) pattern only on the runs of non-space characters that hold an "@".

        Every character the pattern matches is a word character, "@", "." or other punctuation, never
        a space, and a match holds an "@": so each match lies inside one such run, and a run starts and
        ends where the text has a space or ends (a word boundary either way). The results are those of
        the pattern on the whole text, offsets and all, at a small part of the cost on a long prompt.
        """
        results = []
        for run in AT_RUNS.finditer(text):
            for result in super().analyze(run.group(), entities, nlp_artifacts, **kwargs):
                result.start += run.start()
                result.end += run.start()
                results.append(result)
        return results

    def validate_result(self, pattern_text: str) -> bool:
        """Accept the match only if its domain ends in a known public suffix."""
        return OFFLINE_TLD_EXTRACT(pattern_text).fqdn != ""


class PhoneNumberRecognizer(PatternRecognizer):
    """Recognise UK numbers as people write them, and international ones libphonenumber calls valid.

    Presidio's phone recognizer runs libphonenumber's matcher over every digit run (slow on long
    prompts) and rejects Ofcom's ranges reserved for fiction (07700 900xxx); here a regex finds the
    few candidates and only "+"-prefixed foreign numbers go to libphonenumber.
    """

    PATTERNS = [
        Pattern("UK phone", r"(?:\+44[ -]?(?:\(0\)[ -]?)?|(?<![\w+])\(?0)[1237-8](?:[ )-]{0,2}\d){8,9}(?!\d)", 0.4),
        Pattern("International phone", r"(?<![\w+])\+(?!44)[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?!\d)", 0.4),
    ]
    CONTEXT = ["phone", "tel", "telephone", "mobile", "call", "ring", "contact"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PHONE_NUMBER",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language="en",
            name="PhoneNumberRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        """Reject a UK match of the wrong length, or a foreign number libphonenumber calls invalid."""
        digits = re.sub(r"\D", "", pattern_text.replace("(0)", ""))  # +44 (0)161: the 0 is not dialled
        if pattern_text.startswith("+") and not digits.startswith("44"):
            try:
                return phonenumbers.is_valid_number(phonenumbers.parse(pattern_text, None)) or False
            except phonenumbers.NumberParseException:
                return False
        national = digits[2:] if digits.startswith("44") else digits[1:]
        return None if len(national) in (9, 10) else False


class WebAddressRecognizer(PatternRecognizer):
    """Recognise web addresses that start with a scheme or "www.".

    Presidio's URL pattern also takes bare domains, at a cost of about a fifth of all detection time.
    """

    PATTERNS = [Pattern("URL", r"(?<![\w@])(?:https?://|www\.)[^\s<>\"'`]+", 0.5)]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="URL", patterns=self.PATTERNS, supported_language="en", name="WebAddressRecognizer"
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Accept the match only if its host ends in a known public suffix."""
        return OFFLINE_TLD_EXTRACT(pattern_text).suffix != ""


class IpAddressRecognizer(PatternRecognizer):
    """Recognise IPv4 and IPv6 addresses that the standard library accepts.

    Presidio's IP patterns cost about a third of all detection time on a long prompt; these find
    candidates cheaply and leave the rules to ``ipaddress``.
    """

    PATTERNS = [
        Pattern("IPv4", r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\w)", 0.6),
        Pattern("IPv6", r"(?<![\w:])(?=[0-9a-f:]*:[0-9a-f:]*:)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])", 0.6),
    ]
    CONTEXT = ["ip", "ipv4", "ipv6", "address", "host", "server"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="IP_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language="en",
            name="IpAddressRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Accept the match only if it parses as an address."""
        try:
            ipaddress.ip_address(pattern_text)
        except ValueError:
            return False
        return True
