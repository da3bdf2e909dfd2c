import type { ParleyClient, UserSummary } from '@parley/client';
import { el } from './dom';

export interface PickerOptions {
  label: string;
  testId: string;
  /** ids not offered (yourself, people already in the room) */
  exclude?: () => Set<string>;
  onPick: (user: UserSummary) => void | Promise<void>;
}

/** Pick people by name (`GET /users?q=`, a prefix of the display name): nobody types a user id. */
export function peoplePicker(client: ParleyClient, options: PickerOptions): HTMLElement {
  const input = el('input', { type: 'search', placeholder: 'Type a name', autocomplete: 'off', maxlength: '50', 'data-testid': options.testId });
  const results = el('ul', { class: 'picker-results', 'data-testid': `${options.testId}-results` });
  let timer: number | undefined;
  let asked = 0;
  const search = async () => {
    const q = input.value.trim();
    const mine = ++asked;
    if (!q) return results.replaceChildren();
    const users = await client.users.search(q).catch(() => [] as UserSummary[]);
    if (mine !== asked) return; // a later keystroke asked again
    const skip = options.exclude?.() ?? new Set<string>();
    skip.add(client.auth.userId ?? '');
    const offered = users.filter((u) => !skip.has(u.id));
    results.replaceChildren(
      ...(offered.length
        ? offered.map((u) => {
            const pick = el('button', { type: 'button', class: 'secondary', 'data-testid': 'people-option' }, u.displayName);
            pick.addEventListener('click', async () => {
              input.value = '';
              results.replaceChildren();
              await options.onPick(u);
            });
            return el('li', {}, pick);
          })
        : [el('li', { class: 'muted' }, 'Nobody by that name')]),
    );
  };
  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void search(), 200);
  });
  return el('div', { class: 'picker' }, el('label', {}, options.label, input), results);
}
