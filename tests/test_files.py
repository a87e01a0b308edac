"""Files: the shared readers and writers."""


def test_byte_identical_files_are_one_file():
    from salt_core.files import first_of_each_content

    kept, twins = first_of_each_content([("a.json", b"x"), ("b.json", b"y"), ("a copy.json", b"x"), ("c", b"x")])
    assert kept == [0, 1] and twins == [("a copy.json", "a.json"), ("c", "a.json")]
