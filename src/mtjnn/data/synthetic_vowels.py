"""A synthetic vowel corpus that is not Hillenbrand's: Peterson & Barney (1952) women's formant means with
talker and token spreads, for testing how the chain classifier generalizes to data it was not tuned on.

Means: average F1, F2, F3 (Hz) of the 28 women of Peterson & Barney, "Control methods used in a study of
the vowels", J. Acoust. Soc. Am. 24, 175 (1952), Table II (steady state, /hVd/ words). Peterson & Barney
have no /ei/, so the corpus's vowels are the seven monophthongs {ae, eh, ih, iy, oo, uh, uw}
(Hillenbrand codes: oo = "hood", uh = "hud").

Spreads (log-normal, natural-log standard deviations): a talker factor common to all formants (vocal
tract length, sd 0.040), a talker factor per formant (sd 0.030) and a token residual per formant (sd
0.070, 0.080, 0.040 for F1, F2, F3). These magnitudes were measured once on the 37 complete women of
Hillenbrand et al. (1995) for the same seven vowels (talker mean log deviation 0.052/0.054/0.047 per
formant, of which 0.040 common; residual 0.069/0.080/0.041); they are constants here, so the corpus draws
nothing from Hillenbrand's samples.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_range
from .vowels import VowelData

#: Peterson & Barney (1952) Table II, women: (F1, F2, F3) in Hz.
PETERSON_BARNEY_WOMEN = {
    "iy": (310.0, 2790.0, 3310.0),
    "ih": (430.0, 2480.0, 3070.0),
    "eh": (610.0, 2330.0, 2990.0),
    "ae": (860.0, 2050.0, 2850.0),
    "ah": (850.0, 1220.0, 2810.0),
    "aw": (590.0, 920.0, 2710.0),
    "oo": (470.0, 1160.0, 2680.0),
    "uw": (370.0, 950.0, 2670.0),
    "uh": (760.0, 1400.0, 2780.0),
    "er": (500.0, 1640.0, 1960.0),
}
SYNTHETIC_VOWELS = ("ae", "eh", "ih", "iy", "oo", "uh", "uw")
TALKER_COMMON_SD = 0.040
TALKER_FORMANT_SD = 0.030
TOKEN_SD = (0.070, 0.080, 0.040)


def synthetic_vowels(n_speakers: int = 37, vowels: tuple[str, ...] = SYNTHETIC_VOWELS, seed: int = 0) -> VowelData:
    """``n_speakers`` synthetic women, one token of each vowel: features (F1, F2, F3) in Hz (module docstring)."""
    check_range("n_speakers", n_speakers, 2, 1_000_000)
    unknown = [v for v in vowels if v not in PETERSON_BARNEY_WOMEN]
    if unknown or len(set(vowels)) != len(vowels) or len(vowels) < 2:
        raise ValueError(f"vowels = {list(vowels)}; allowed: >= 2 distinct codes of {list(PETERSON_BARNEY_WOMEN)}")
    rng = np.random.default_rng(seed)
    mean = np.log(np.array([PETERSON_BARNEY_WOMEN[v] for v in vowels]))  # (V, 3)
    talker = TALKER_COMMON_SD * rng.standard_normal((n_speakers, 1, 1)) + TALKER_FORMANT_SD * rng.standard_normal((n_speakers, 1, 3))
    token = np.asarray(TOKEN_SD) * rng.standard_normal((n_speakers, len(vowels), 3))
    x = np.exp(mean[None] + talker + token).reshape(-1, 3)
    y = np.tile(np.arange(len(vowels)), n_speakers)
    speakers = tuple(f"s{i:03d}" for i in range(n_speakers) for _ in vowels)
    return VowelData(x, y, speakers, tuple(vowels), ("f1_hz", "f2_hz", "f3_hz"), ())
