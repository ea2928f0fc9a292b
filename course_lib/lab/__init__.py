"""The lab instruments: raw HTTP, a lossy network, fuzzing, contracts, Postman export, a reverse proxy, load."""
