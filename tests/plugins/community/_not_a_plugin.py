raise AssertionError("files starting with _ are not loaded")
