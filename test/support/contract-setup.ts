import { takeViolations } from './contract';

// Registered for every e2e file (jest setupFilesAfterEnv).
afterEach(() => {
  expect(takeViolations()).toEqual([]);
});
