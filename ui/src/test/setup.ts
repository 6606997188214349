// Runs around every UI test: no IPC mock, fake timer or mock outlives its test.
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, vi } from 'vitest';

afterEach(() => {
  clearMocks();
  vi.useRealTimers();
});
