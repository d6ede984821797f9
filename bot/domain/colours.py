"""Which text colour reads on a background: WCAG 2.x relative luminance and contrast ratio.

Every place that puts black or white text on a program colour (Flex rank badge, card image
rank pill, rich menu tabs) asks ``ink_on`` so they all agree. Colours are ``#RRGGBB`` strings,
as the program file holds them.
"""

from __future__ import annotations

#: The dark text colour: a near-black that is softer than #000000 on screens.
DARK_INK = "#111111"
#: The light text colour.
LIGHT_INK = "#FFFFFF"
#: The contrast WCAG 2.x level AA asks of normal-size text (1.4.3).
AA_CONTRAST = 4.5


def rgb(colour: str) -> tuple[int, int, int]:
    """``#RRGGBB`` as a (red, green, blue) triple of 0-255 channels."""
    if len(colour) != 7 or colour[0] != "#":
        raise ValueError(f"not a #RRGGBB colour: {colour!r}")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _linear(channel: int) -> float:
    """An sRGB channel as linear light (0-1); 0.04045 and 0.03928 split 8-bit values alike."""
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance: 0 for black, 1 for white."""
    r, g, b = (_linear(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, from 1 (the same) to 21 (black and white)."""
    lighter, darker = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def ink_on(background: str) -> str:
    """DARK_INK or LIGHT_INK, whichever contrasts more with ``background`` (dark on a tie)."""
    dark = contrast_ratio(background, DARK_INK)
    return DARK_INK if dark >= contrast_ratio(background, LIGHT_INK) else LIGHT_INK


def hex_colour(red: int, green: int, blue: int) -> str:
    """A (red, green, blue) triple of 0-255 channels as ``#RRGGBB``."""
    return f"#{red:02X}{green:02X}{blue:02X}"


def softened(ink: str, background: str, minimum: float = AA_CONTRAST) -> str:
    """``ink`` blended toward ``background`` as far as it keeps ``minimum`` contrast on it: a
    quieter line (the English label under a Japanese one) that still reads. ``ink`` itself
    when no blend does."""
    for share in (0.6, 0.7, 0.8, 0.9):
        blend = hex_colour(
            *(
                round(a * share + b * (1 - share))
                for a, b in zip(rgb(ink), rgb(background), strict=True)
            )
        )
        if contrast_ratio(blend, background) >= minimum:
            return blend
    return ink
