"""Address sets: nested and overlapping CIDRs, IPv4 and IPv6, handled exactly."""

from __future__ import annotations

from awsaudit.network.ports import INTERNET, AddressSet, outside, protocol


def test_halves_make_the_whole() -> None:
    assert AddressSet.of(["0.0.0.0/1", "128.0.0.0/1"]) == AddressSet.of(["0.0.0.0/0"])


def test_difference_carves_a_hole_and_intersection_keeps_the_smaller_block() -> None:
    rest = AddressSet.of(["10.0.0.0/8"]).difference(AddressSet.of(["10.1.0.0/16"]))
    assert not rest.intersection(AddressSet.of(["10.1.2.0/24"]))
    assert rest.intersection(AddressSet.of(["10.2.0.0/16"])) == AddressSet.of(["10.2.0.0/16"])
    assert AddressSet.of(["10.0.0.0/8", "::/0"]).family(6) == AddressSet.of(["::/0"])


def test_outside_company_ranges_handles_nesting_and_overlap() -> None:
    company = ["10.0.0.0/9", "10.128.0.0/9", "2001:db8::/32"]
    assert not outside(["10.0.0.0/8"], company)  # covered by two ranges together
    assert not outside(["10.3.0.0/16", "2001:db8:1::/48"], company)
    assert outside(["10.0.0.0/7"], company) == AddressSet.of(["11.0.0.0/8"])
    assert outside(["::/0"], company)


def test_internet_excludes_private_ranges_and_protocols_have_one_spelling() -> None:
    assert not INTERNET.intersection(AddressSet.of(["192.168.1.0/24", "fd00::/8"]))
    assert INTERNET.covers(AddressSet.of(["8.8.8.8/32", "2001:4860::/32"]))
    assert protocol("TCP") == protocol(6) == "6"
    assert protocol("-1") == protocol("all") == "-1"
