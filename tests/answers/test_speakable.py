"""What the voice says is written for the ear; what is shown keeps the page's precise form."""

from __future__ import annotations

import pytest

from sitespeak.voice.speakable import page_name, speakable


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Sunday: 10:00–14:00", "Sunday: 10 am to 2 pm"),
        ("Open on Sunday from 09:00 to 14:00.", "Open on Sunday from 9 am to 2 pm."),
        ("We close at 12:00 and at 17:30.", "We close at noon and at 5:30 pm."),
        ("We open at 7am.", "We open at 7 am."),
        ("E-bike: per hour €12, per day €45", "E-bike: per hour 12 euros, per day 45 euros"),
        ("It costs 45 EUR or €5.50.", "It costs 45 euros or 5 euros 50."),
        ("Groups get 15% off.", "Groups get 15 percent off."),
        ("Phone: +47 555 01 587", "Phone: plus 4 7, 5 5 5, 0 1, 5 8 7"),
        ("Email: hello@shop.test", "Email: hello at shop dot test"),
        ("Dr. Eva Marten leads the clinic.", "Doctor Eva Marten leads the clinic."),
        ("Closed on 2026-12-24.", "Closed on 24 December 2026."),
        ("See <b>our</b> page https://shop.test/a for **more**.", "See our page for more."),
        ("Bread &amp; cakes", "Bread and cakes"),
    ],
)
def test_times_prices_numbers_and_markup_are_said_as_a_person_would(written, said):
    assert speakable(written) == said


def test_a_page_is_named_without_the_site_name_suffix():
    assert page_name("Delivery · Example Shop") == "Delivery"
    assert page_name("Treatments & fees – Linden Dental Clinic") == "Treatments & fees"
    assert page_name("Contact us | Shop") == "Contact us"
    assert page_name("E-bike rental") == "E-bike rental"
