"""The HIL session without Qt: the link to a board, the engine\x27s prediction, recording, replay and export."""
