import type { Member, MemberRole, ParleyClient, RoomEntry } from '@parley/client';
import { $, el, setStatus } from './dom';
import { peoplePicker } from './people';

/**
 * The members dialog of a room: the list with roles; owners and moderators add people (picked
 * by name), remove and ban members; the owner grants and takes `moderator`; bans with an
 * optional end and reason. What the server refuses shows its message; nothing is hidden that
 * the server would allow, nothing shown that it would refuse.
 */
export class MembersDialog {
  private room: RoomEntry | null = null;
  private members: Member[] = [];
  private readonly dialog = $<HTMLDialogElement>('members-dialog');

  constructor(
    private readonly client: ParleyClient,
    /** after a change the room list may differ (member count, a room left) */
    private readonly changed: () => void,
  ) {
    $('members-close').addEventListener('click', () => this.dialog.close());
    $('members-add').replaceChildren(
      peoplePicker(client, {
        label: 'Add people',
        testId: 'member-picker',
        exclude: () => new Set(this.members.map((m) => m.user.id)),
        onPick: (user) => this.act(`${user.displayName} added`, () => client.rooms.putMember(this.name, user.id, {}).then(() => undefined)),
      }),
    );
    $('room-delete').addEventListener('click', () => {
      const button = $<HTMLButtonElement>('room-delete');
      // two clicks: deleting a room deletes its messages for everyone
      if (button.dataset.armed !== 'yes') {
        button.dataset.armed = 'yes';
        button.textContent = 'Click again to delete the room and its messages';
        return;
      }
      void this.act('Room deleted', () => client.rooms.delete(this.name)).then(() => this.dialog.close());
    });
    $('room-leave').addEventListener('click', () => {
      void this.act('You left the room', () => client.rooms.removeMember(this.name, client.auth.userId ?? '')).then(() => this.dialog.close());
    });
  }

  private get name(): string {
    return this.room?.name ?? '';
  }

  /** The viewer's power here: an admin may do what an owner may. */
  private get power(): MemberRole | 'admin' | null {
    return this.client.auth.user?.role === 'admin' ? 'admin' : (this.room?.role ?? null);
  }

  async open(room: RoomEntry): Promise<void> {
    this.room = room;
    $('members-title').textContent = `Members of # ${room.title}`;
    const remove = $<HTMLButtonElement>('room-delete');
    remove.dataset.armed = '';
    remove.textContent = 'Delete room';
    this.dialog.showModal();
    await this.load();
  }

  private async load(): Promise<void> {
    const power = this.power;
    const moderates = power === 'owner' || power === 'moderator' || power === 'admin';
    const owns = power === 'owner' || power === 'admin';
    try {
      this.members = await this.client.rooms.members(this.name);
    } catch (error) {
      this.members = [];
      setStatus((error as Error).message, true);
    }
    const me = this.client.auth.userId;
    $('member-rows').replaceChildren(...this.members.map((m) => this.row(m, me, moderates, owns)));
    $('members-add').hidden = !moderates;
    $('room-delete').hidden = !(owns && this.room?.ownerId !== null);
    $('room-leave').hidden = !this.room?.role || this.room.role === 'owner';
    $('bans-section').hidden = !moderates;
    if (moderates) await this.loadBans();
  }

  private row(m: Member, me: string | null, moderates: boolean, owns: boolean): HTMLElement {
    const row = el(
      'li',
      { 'data-testid': 'member-row', 'data-user-id': m.user.id },
      el('span', { class: 'grow' }, m.user.displayName, m.user.id === me ? ' (you)' : ''),
      el('span', { class: `role role-${m.role}`, 'data-testid': 'member-role' }, m.role),
    );
    if (m.user.id === me || m.role === 'owner') return row;
    const rank = (role: MemberRole) => (role === 'moderator' ? 1 : 0);
    // Moderators act on members; the owner (or an admin) on moderators too.
    const canRemove = owns || (moderates && rank(m.role) === 0);
    if (owns) {
      const promote = m.role === 'moderator';
      row.append(
        this.button(promote ? 'Take moderator' : 'Make moderator', promote ? 'member-demote' : 'member-promote', () =>
          this.act(`${m.user.displayName} is now ${promote ? 'a member' : 'a moderator'}`, () =>
            this.client.rooms.putMember(this.name, m.user.id, { role: promote ? 'member' : 'moderator' }).then(() => undefined),
          ),
        ),
      );
    }
    if (canRemove) {
      row.append(
        this.button('Remove', 'member-remove', () =>
          this.act(`${m.user.displayName} removed`, () => this.client.rooms.removeMember(this.name, m.user.id)),
        ),
        this.button('Ban…', 'member-ban', async () => {
          if (!row.querySelector('.ban-form')) row.append(this.banForm(m));
        }),
      );
    }
    return row;
  }

  private banForm(m: Member): HTMLElement {
    const until = el('input', { type: 'datetime-local', name: 'until', 'data-testid': 'ban-until' });
    const reason = el('input', { name: 'reason', maxlength: '500', placeholder: 'optional', 'data-testid': 'ban-reason' });
    const form = el(
      'form',
      { class: 'ban-form' },
      el('label', {}, 'Until (empty: until unbanned)', until),
      el('label', {}, 'Reason', reason),
      el('button', { type: 'submit', 'data-testid': 'ban-submit' }, `Ban ${m.user.displayName}`),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = {
        ...(until.value ? { until: new Date(until.value).toISOString() } : {}),
        ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
      };
      void this.act(`${m.user.displayName} banned`, () => this.client.rooms.ban(this.name, m.user.id, body));
    });
    return form;
  }

  private async loadBans(): Promise<void> {
    const bans = await this.client.rooms.bans(this.name).catch(() => []);
    $('ban-rows').replaceChildren(
      ...(bans.length
        ? bans.map((b) =>
            el(
              'li',
              { 'data-testid': 'ban-row' },
              el(
                'span',
                { class: 'grow' },
                b.user.displayName,
                el(
                  'span',
                  { class: 'muted' },
                  ` · ${b.until ? `until ${new Date(b.until).toLocaleString()}` : 'until unbanned'}${b.reason ? ` · ${b.reason}` : ''}`,
                ),
              ),
              this.button('Unban', 'ban-remove', () =>
                this.act(`${b.user.displayName} unbanned`, () => this.client.rooms.unban(this.name, b.user.id)),
              ),
            ),
          )
        : [el('li', { class: 'muted' }, 'Nobody is banned')]),
    );
  }

  private button(label: string, testId: string, onClick: () => Promise<void>): HTMLButtonElement {
    const button = el('button', { type: 'button', class: 'secondary small', 'data-testid': testId }, label);
    button.addEventListener('click', () => void onClick());
    return button;
  }

  private async act(done: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
      setStatus(done);
      this.changed();
      if (this.dialog.open) await this.load();
    } catch (error) {
      setStatus((error as Error).message, true);
    }
  }
}
