"""The shared token bucket: burst, steady rate, refill cap, thread safety, on a fake clock."""

from __future__ import annotations

import threading

import pytest

from bot.adapters.ratelimit import TokenBucket


class FakeClock:
    """A clock that only moves when someone sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def record_only(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)


def test_burst_is_free_then_calls_are_spaced_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(3600, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        assert bucket.acquire() == 0
    assert clock.sleeps == []
    for _ in range(10):
        assert bucket.acquire() == pytest.approx(1.0)
    assert clock.sleeps == pytest.approx([1.0] * 10)
    assert bucket.acquired == 15
    assert bucket.waited_seconds == pytest.approx(10.0)


def test_an_hour_holds_at_most_rate_plus_burst_calls() -> None:
    clock = FakeClock()
    bucket = TokenBucket(720, burst=3, clock=clock, sleep=clock.sleep)
    start = clock.now
    calls = 0
    while True:
        bucket.acquire()
        if clock.now - start > 3600:
            break
        calls += 1
    assert calls <= 720 + 3


def test_idle_time_refills_up_to_the_burst_only() -> None:
    clock = FakeClock()
    bucket = TokenBucket(3600, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        bucket.acquire()
    clock.now += 3600  # an idle hour must not bank 3,600 calls
    for _ in range(3):
        assert bucket.acquire() == 0
    assert bucket.acquire() == pytest.approx(1.0)


def test_partial_refill() -> None:
    clock = FakeClock()
    bucket = TokenBucket(7200, burst=1, clock=clock, sleep=clock.sleep)  # 2 per second
    bucket.acquire()
    clock.now += 0.25
    assert bucket.acquire() == pytest.approx(0.25)


def test_concurrent_callers_each_get_their_own_slot() -> None:
    """With the clock frozen, N reservations beyond the burst must wait 1..N intervals,
    each exactly once, whatever the interleaving; a race would duplicate or lose one."""
    clock = FakeClock()
    bucket = TokenBucket(3600, burst=10, clock=clock, sleep=clock.record_only)
    threads = [
        threading.Thread(target=lambda: [bucket.acquire() for _ in range(25)]) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert bucket.acquired == 200
    assert sorted(round(s, 6) for s in clock.sleeps) == [float(k) for k in range(1, 191)]


def test_unlimited_never_waits() -> None:
    clock = FakeClock()
    bucket = TokenBucket(None, clock=clock, sleep=clock.sleep)
    for _ in range(10_000):
        bucket.acquire()
    assert clock.sleeps == []
    assert TokenBucket.unlimited().acquire() == 0
    assert "unlimited" in repr(TokenBucket.unlimited())


def test_default_is_flickrs_3600_an_hour() -> None:
    bucket = TokenBucket()
    assert bucket.calls_per_hour == 3600
    assert "3600/h" in repr(bucket)


@pytest.mark.parametrize("kwargs", [{"calls_per_hour": 0}, {"calls_per_hour": -5}, {"burst": 0}])
def test_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TokenBucket(**kwargs)  # type: ignore[arg-type]


def test_reserve_rejects_zero_tokens() -> None:
    with pytest.raises(ValueError):
        TokenBucket().reserve(0)
