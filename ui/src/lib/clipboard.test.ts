import { afterEach, describe, expect, it, vi } from 'vitest';
import { CopyStatus, copyText } from './clipboard.svelte';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('copyText', () => {
  it('uses the async clipboard', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    expect(await copyText('42')).toBe(true);
    expect(writeText).toHaveBeenCalledWith('42');
  });

  it('falls back to a copy command when the async clipboard is refused, and says when both are', async () => {
    const writeText = vi.fn().mockRejectedValue(new Error('NotAllowedError'));
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const exec = vi.fn().mockReturnValue(true);
    Object.defineProperty(document, 'execCommand', { value: exec, configurable: true });
    expect(await copyText('SD-1')).toBe(true);
    expect(exec).toHaveBeenCalledWith('copy');
    expect(document.querySelector('textarea')).toBeNull();
    exec.mockReturnValue(false);
    expect(await copyText('SD-1')).toBe(false);
  });
});

describe('CopyStatus', () => {
  it('says what was copied, then clears', async () => {
    vi.useFakeTimers();
    Object.defineProperty(navigator, 'clipboard', {
      value: { writeText: vi.fn().mockResolvedValue(undefined) },
      configurable: true,
    });
    const status = new CopyStatus();
    await status.copy('account id', '42');
    expect(status.text).toBe('Copied the account id: 42');
    vi.advanceTimersByTime(4000);
    expect(status.text).toBeNull();
  });
});
