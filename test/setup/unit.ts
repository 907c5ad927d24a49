// In-process tests: a hang shows up in 30 s, not the integration project's 90 s.
jest.setTimeout(30_000);
