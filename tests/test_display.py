"""How figures show text and numbers."""


def test_right_to_left_labels_are_isolated_and_left_to_right_ones_untouched():
    from salt_core.display import isolate

    assert isolate("كتاب") == "\u2068كتاب\u2069" and isolate("ספר (he)").startswith("\u2068")
    assert isolate("Katze") == "Katze" and isolate("猫") == "猫"


def test_probability_text_never_rounds_to_zero():
    from salt_core.display import probability_text

    assert probability_text(0.41234) == "0.412" and probability_text(0.00213) == "0.00213"
    assert probability_text(1.87e-5) == "1.87e-05" and probability_text(0.0) == "0"

