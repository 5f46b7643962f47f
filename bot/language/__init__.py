"""Which language a resident wrote in, from tables built offline (see build_profiles)."""
