import torch
from hypothesis import given
from hypothesis import strategies as st

from optbench.engine.batches import BatchOrder


@given(n=st.integers(1, 500), batch=st.integers(1, 100), seed=st.integers(0, 2**31 - 1))
def test_every_example_once_per_epoch(n, batch, seed):
    order = BatchOrder(n, batch, seed)
    batches = list(order.epoch())
    assert len(batches) == len(order) == -(-n // batch)
    assert all(len(b) == batch for b in batches[:-1])
    assert torch.equal(torch.cat(batches).sort().values, torch.arange(n))


def test_same_seed_same_order_and_epochs_differ():
    a, b = BatchOrder(100, 10, seed=3), BatchOrder(100, 10, seed=3)
    first_a, first_b = torch.cat(list(a.epoch())), torch.cat(list(b.epoch()))
    assert torch.equal(first_a, first_b)
    assert not torch.equal(torch.cat(list(a.epoch())), first_a)  # reshuffled each epoch


def test_state_round_trip():
    order = BatchOrder(50, 7, seed=1)
    state = order.get_state()
    first = torch.cat(list(order.epoch()))
    order.set_state(state)
    assert torch.equal(torch.cat(list(order.epoch())), first)
