"""Benchmark: personal data detection quality and speed on the labelled synthetic samples.

Prints recall and precision per entity type on ``gateway/data/pii_samples.yaml`` (the same figures
``tests/gateway/test_pii_quality.py`` asserts floors on), then detection time per kB of text on one
core: over the samples one by one (short prompts) and over one long prompt made of all of them.
The target is at most 2 ms per kB; nothing here asserts it.

Run: ``.venv/bin/python bench/pii.py`` (a few seconds, no network, no database).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.pii.engine import detect, get_analyzer  # noqa: E402
from gateway.pii.quality import evaluate, load_samples  # noqa: E402

ROUNDS = 5
# A clinic letter: mostly prose, a few identifiers, as a long pasted document would be.
LETTER = """Dear Dr Mensah,

Re: Mrs Eleanor Whitfield, NHS number 669 147 6379, 14 Orchard Close, Didcot.

Thank you for referring this 67-year-old lady, whom I saw in the cardiology clinic today. She describes
breathlessness on exertion over the last three months, now limiting her to about two hundred yards on the
flat, with occasional ankle swelling in the evenings. There has been no chest pain, no palpitations and no
syncope. Her past history includes hypertension, type 2 diabetes diet-controlled, and a left knee
replacement in 2019. She is an ex-smoker of twenty pack-years and drinks about six units a week.

On examination her pulse was 78 and regular, blood pressure 148/86, with a soft ejection systolic murmur at
the left sternal edge and mild pitting oedema to the mid-shins. Her chest was clear. The ECG showed sinus
rhythm with left ventricular hypertrophy by voltage criteria. The echocardiogram showed moderate aortic
stenosis with a mean gradient of 28 mmHg and preserved left ventricular function.

I have started a low dose of furosemide and asked her to weigh herself daily. I will repeat the
echocardiogram in six months. Her daughter, who came with her, asked to be kept informed: she can be
reached on 07700 900417 or at k.whitfield@example.co.uk. Please do not hesitate to contact me.

Yours sincerely,
Dr Alan Forsyth, Consultant Cardiologist
"""


def timed(texts: list[str]) -> float:
    """Return the best of ROUNDS wall times, in seconds, to detect over all texts."""
    runs = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for text in texts:
            detect(text)
        runs.append(time.perf_counter() - start)
    return min(runs)


def main() -> None:
    """Print the quality table and the detection time per kB."""
    start = time.perf_counter()
    get_analyzer()
    print(f"engine built in {time.perf_counter() - start:.2f} s (blank spaCy pipeline, no model)\n")

    samples = load_samples()
    print(f"{len(samples)} samples, {sum(len(s['spans']) for s in samples)} labelled values\n")
    print(f"| {'entity type':<14} | labelled | found right | false pos. | recall | precision |")
    print(f"|{'-' * 16}|---------:|------------:|-----------:|-------:|----------:|")
    for score in evaluate(samples).values():
        labelled = score.true_positives + score.false_negatives
        print(
            f"| {score.entity_type:<14} | {labelled:>8} | {score.true_positives:>11} | "
            f"{score.false_positives:>10} | {score.recall:>6.2f} | {score.precision:>9.2f} |"
        )

    texts = [sample["text"] for sample in samples]
    kilobytes = sum(len(text.encode()) for text in texts) / 1024
    one_by_one = timed(texts)
    long_prompt = "\n".join(texts * 10)
    long_kb = len(long_prompt.encode()) / 1024
    long_time = timed([long_prompt])
    per_sample = [timed([text]) * 1000 for text in texts[:20]]
    print(
        f"\nshort prompts: {kilobytes:.1f} kB in {one_by_one * 1000:.0f} ms = {one_by_one * 1000 / kilobytes:.2f} ms/kB"
    )
    print(f"  (median {statistics.median(per_sample):.2f} ms per prompt of about 90 bytes: a fixed cost per call)")
    print(
        f"one long prompt of all samples x10: {long_kb:.1f} kB in {long_time * 1000:.0f} ms = {long_time * 1000 / long_kb:.2f} ms/kB"
    )
    document = LETTER * 8
    document_kb = len(document.encode()) / 1024
    document_time = timed([document])
    print(
        f"clinic letter x8: {document_kb:.1f} kB in {document_time * 1000:.0f} ms = {document_time * 1000 / document_kb:.2f} ms/kB"
    )
    print("target: <= 2 ms/kB on one core")


if __name__ == "__main__":
    main()
