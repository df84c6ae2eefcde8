# SPDX-License-Identifier: Apache-2.0
# Writes the .npy fixtures of tests/tasks/npy_reader_test.cpp with NumPy itself (so the reader is checked against
# the real writer, not only against files the tests make): python3 make_fixtures.py (NumPy 2.4.6 wrote the committed files).
import numpy as np

np.save("f32.npy", (np.arange(12, dtype="<f4") / 4).reshape(3, 4))
np.save("f64_fortran.npy", np.asfortranarray(np.arange(12, dtype="<f8").reshape(3, 4)))
np.save("u8.npy", np.arange(10, dtype=np.uint8).reshape(2, 5))
np.save("labels_i64.npy", np.array([0, 2, 1], dtype="<i8"))
np.save("labels_u8.npy", np.array([1, 0], dtype=np.uint8))
np.save("big_endian.npy", np.arange(3, dtype=">f4"))
with open("f32_v2.npy", "wb") as f:
    np.lib.format.write_array(f, (np.arange(12, dtype="<f4") / 4).reshape(3, 4), version=(2, 0))
