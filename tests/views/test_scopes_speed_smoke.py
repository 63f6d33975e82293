"""Each scope's speed script runs briefly offscreen and draws frames (no wall-clock thresholds here)."""

import pytest

from views.scopes import speed


@pytest.mark.parametrize("scope", speed.SCOPES)
def test_speed_script_draws_frames(qapp, scope):
    result = speed.run(scope, seconds=1.0)
    assert result["scope"] == scope
    assert result["frames"] > 0
    assert result["spikes"] > 0
