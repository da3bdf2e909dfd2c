import type { ChatClient, ConnectionState, Message, OutboxEntry, ParleyClient, RoomDirectory, RoomEntry, UserSummary } from '@parley/client';
import { $, el, setStatus } from './dom';
import { MembersDialog } from './members';
import { messageItem, pendingItem } from './messages';
import { peoplePicker } from './people';

interface Conversation {
  key: string;
  title: string;
  kind: 'room' | 'dm';
  /** the other user of a DM */
  peer?: string;
  messages: Map<string, Message>;
  loaded: boolean;
  hasMore: boolean;
  online: Map<string, UserSummary>;
  typing: Map<string, number>;
  /** the first unread message when the conversation was opened (the divider goes before it) */
  dividerAt?: string;
  /** the latest id this page marked read */
  readUpTo?: string;
}

/** What a reload shows before the server answers (and while it is down): the list as last seen. */
type Remembered = Array<Pick<Conversation, 'key' | 'title' | 'kind' | 'peer'>>;

/** Rooms a page joins at once to hear about new messages (the server's default cap is 100 sockets' rooms). */
const JOIN_AT_START = 40;
const RELOAD_LIST_MS = 20_000;

/**
 * The chat view on the SDK. The room list comes from `GET /rooms` (the SDK's RoomDirectory,
 * kept current from events); the page joins the rooms it is a member of, so their unread
 * badges move live. The SDK re-joins after a reconnect, replays what was missed (as
 * `message:new`, once), and keeps unsent messages in its outbox (IndexedDB), so a message typed
 * offline shows "sending…" until the server has stored it, across reloads too.
 */
export class ChatView {
  private readonly chat: ChatClient;
  private readonly directory: RoomDirectory;
  private readonly members: MembersDialog;
  private readonly conversations = new Map<string, Conversation>();
  private current: Conversation | null = null;
  private pending: OutboxEntry[] = [];
  private typingSentAt = 0;
  private listLoaded = false;
  private timer: number | undefined;

  constructor(private readonly client: ParleyClient) {
    this.chat = client.chat();
    this.directory = client.roomDirectory();
    this.members = new MembersDialog(client, () => void this.reloadList());
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = (e.target as HTMLFormElement).elements.namedItem('room') as HTMLInputElement;
      void this.join(input.value.trim()).then(() => this.reloadList());
      input.value = '';
    });
    $('create-room-form').addEventListener('submit', (e) => void this.createRoom(e));
    $('dm-picker').replaceChildren(
      peoplePicker(client, { label: 'Message someone', testId: 'dm-target', onPick: (u) => this.openDm(u.id, u.displayName) }),
    );
    $('rooms-refresh').addEventListener('click', () => void this.reloadList());
    $('room-members').addEventListener('click', () => {
      const entry = this.current && this.directory.get(this.current.key);
      if (entry) void this.members.open(entry);
    });
    $('notice-close').addEventListener('click', () => ($('notice').hidden = true));
    $('send-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = (e.target as HTMLFormElement).elements.namedItem('body') as HTMLInputElement;
      if (input.value.trim()) this.send(input.value);
      input.value = '';
    });
    $('send-form').addEventListener('input', () => this.sendTyping(true));
    $('messages').addEventListener('scroll', () => {
      if ($('messages').scrollTop === 0) void this.loadOlder();
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) {
        this.markRead();
        void this.reloadList();
      }
    });
    window.setInterval(() => this.expireTyping(), 1000);

    const chat = this.chat;
    chat.on('state', (state) => {
      showState(state);
      if (state.status === 'connected') void this.reopen();
    });
    chat.on('message:new', (m) => this.receive(m));
    chat.on('dm:new', (m) => this.receive(m));
    chat.on('message:updated', (m) => this.replace(m));
    chat.on('message:deleted', ({ room, id }) => {
      const m = this.conversations.get(room)?.messages.get(id);
      if (m) this.replace({ ...m, body: '', deletedAt: m.deletedAt ?? new Date().toISOString(), reactions: [] });
    });
    chat.on('resumed', ({ room, online }) => {
      const conv = this.conversations.get(room);
      if (conv) conv.online = new Map(online.map((u) => [u.id, u]));
      this.renderOnline();
    });
    chat.on('stale', ({ room }) => void this.reload(room));
    chat.on('presence:join', ({ room, user }) => {
      this.conversations.get(room)?.online.set(user.id, user);
      this.renderOnline();
    });
    chat.on('presence:leave', ({ room, user }) => {
      this.conversations.get(room)?.online.delete(user.id);
      this.renderOnline();
    });
    chat.on('typing', ({ room, user, typing }) => {
      const conv = this.conversations.get(room);
      if (!conv) return;
      if (typing) conv.typing.set(user.displayName, Date.now());
      else conv.typing.delete(user.displayName);
      this.renderTyping();
    });
    chat.on('notification', ({ type }) => setStatus(`Notification: ${type}`));
    chat.on('rejoinFailed', ({ room, error }) => {
      this.notice(`Cannot rejoin # ${this.titleOf(room)}: ${error.message}`);
      this.drop(room);
    });
    chat.on('outbox', (entries) => {
      this.pending = entries;
      this.render();
    });
    chat.on('failed', ({ entry, error }) => setStatus(`Not sent (“${entry.body.slice(0, 40)}”): ${error.message}`, true));

    this.directory.on('change', () => {
      this.rememberList();
      this.render();
    });
    this.directory.on('gone', ({ room, reason }) => {
      const title = this.titleOf(room);
      const why = { left: 'You left', removed: 'You were removed from', banned: 'You were banned from', deleted: 'The owner deleted' }[reason];
      this.notice(`${why} # ${title}`);
      this.drop(room);
    });
  }

  /** After sign-in (or a reload): connect, show the list as last seen and what is still unsent. */
  async connect(): Promise<void> {
    if (this.chat.state.status === 'connecting' || this.chat.state.status === 'connected' || this.chat.state.status === 'reconnecting') return;
    this.chat.connect();
    this.pending = await this.chat.pendingMessages();
    for (const c of this.remembered()) if (!this.conversations.has(c.key)) this.ensure(c.key, c.title, c.kind, c.peer);
    // Messages left in the outbox by the last page name their conversations too.
    for (const entry of this.pending) {
      const key = entry.kind === 'room' ? entry.to : this.chat.dmRoom(entry.to);
      if (!this.conversations.has(key)) this.ensure(key, entry.to, entry.kind, entry.kind === 'dm' ? entry.to : undefined);
    }
    // Offline after a reload: the first conversation shows what is still unsent in it.
    if (!this.current) this.current = this.conversations.values().next().value ?? null;
    window.clearInterval(this.timer);
    // Being added to a room sends no event: the list is asked for again now and then.
    this.timer = window.setInterval(() => void this.reloadList(), RELOAD_LIST_MS);
    this.render();
  }

  /** Signed out: forget the view (the SDK has closed the socket). */
  reset(): void {
    this.chat.close();
    window.clearInterval(this.timer);
    this.conversations.clear();
    this.current = null;
    this.pending = [];
    this.listLoaded = false;
    this.render();
  }

  /** Connected (again): the list from the server, then the member rooms joined, so their badges move. */
  private async reopen(): Promise<void> {
    await this.reloadList();
    const joined = new Set(this.chat.joinedRooms);
    const rooms = this.directory.rooms.filter((r) => !r.name.startsWith('dm:') && r.role !== null);
    for (const entry of rooms.slice(0, JOIN_AT_START)) if (!joined.has(entry.name)) await this.join(entry.name, false);
    for (const conv of [...this.conversations.values()]) {
      if (conv.kind === 'room' && !this.chat.joinedRooms.includes(conv.key) && this.directory.get(conv.key)?.role !== null)
        await this.join(conv.key, false);
      else if (conv.kind === 'dm' && !conv.loaded && conv === this.current) await this.loadOlder(true, conv);
    }
  }

  private async reloadList(): Promise<void> {
    if (!this.client.auth.userId) return;
    try {
      await this.directory.reload();
    } catch {
      return; // offline: the remembered list stays
    }
    this.listLoaded = true;
    const listed = new Set(this.directory.rooms.map((r) => r.name));
    for (const conv of [...this.conversations.values()]) {
      const keep = listed.has(conv.key) || conv === this.current || this.pendingOf(conv).length > 0 || conv.kind === 'dm';
      if (!keep) this.conversations.delete(conv.key);
    }
    this.render();
  }

  private async createRoom(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const title = String(data.get('title') ?? '').trim();
    try {
      await this.client.rooms.create({ name, visibility: data.get('visibility') === 'private' ? 'private' : 'public', ...(title ? { title } : {}) });
      form.reset();
      ($('create-room') as HTMLDetailsElement).open = false;
      await this.reloadList();
      await this.join(name);
      setStatus(`Room # ${title || name} created`);
    } catch (error) {
      setStatus(`Cannot create ${name}: ${(error as Error).message}`, true);
    }
  }

  private async join(room: string, select = true): Promise<void> {
    try {
      const data = await this.chat.join(room);
      const conv = this.conversations.get(room) ?? this.ensure(room, this.titleOf(room), 'room');
      conv.online = new Map(data.online.map((u) => [u.id, u]));
      for (const m of data.history) conv.messages.set(m.id, m);
      conv.hasMore = data.hasMore;
      conv.loaded = true;
      if (select || !this.current) this.select(conv);
      else this.render();
    } catch (error) {
      setStatus(`Cannot join ${room}: ${(error as Error).message}`, true);
    }
  }

  private drop(key: string): void {
    this.conversations.delete(key);
    if (this.current?.key === key) this.current = null;
    this.rememberList();
    this.render();
  }

  private openDm(userId: string, title: string): void {
    if (!userId || userId === this.client.auth.userId) return;
    const key = this.chat.dmRoom(userId);
    const conv = this.conversations.get(key) ?? this.ensure(key, title, 'dm', userId);
    this.select(conv);
  }

  /** A room or DM from the list: joined (a public room makes you a member) or read back. */
  private open(key: string): void {
    const entry = this.directory.get(key);
    const conv = this.conversations.get(key) ?? this.ensure(key, entry?.title ?? key, key.startsWith('dm:') ? 'dm' : 'room', entry?.peer?.id);
    this.select(conv);
  }

  private send(body: string): void {
    const conv = this.current;
    if (!conv) return;
    this.sendTyping(false);
    // The SDK keeps it until the server acknowledges it; "sending…" comes from its outbox.
    const sent = conv.kind === 'dm' && conv.peer ? this.chat.sendDm(conv.peer, body) : this.chat.send(conv.key, body);
    sent.catch(() => undefined); // refusals arrive as `failed`
  }

  private async loadOlder(initial = false, conv = this.current): Promise<void> {
    if (!conv || (!initial && !conv.hasMore)) return;
    const oldest = [...conv.messages.keys()].sort()[0];
    try {
      const page = await this.chat.history(conv.key, initial || !oldest ? {} : { before: oldest });
      const list = $('messages');
      const before = list.scrollHeight;
      for (const m of page.messages) conv.messages.set(m.id, m);
      conv.hasMore = page.hasMore;
      conv.loaded = true;
      if (initial && conv === this.current) this.placeDivider(conv);
      this.render();
      if (!initial && conv === this.current) list.scrollTop = list.scrollHeight - before;
      if (initial) this.markRead();
    } catch (error) {
      setStatus((error as Error).message, true);
    }
  }

  /** Too much changed while away: the latest page again, from scratch. */
  private async reload(room: string): Promise<void> {
    const conv = this.conversations.get(room);
    if (!conv) return;
    const page = await this.chat.history(room).catch(() => null);
    if (!page) return;
    conv.messages = new Map(page.messages.map((m) => [m.id, m]));
    conv.hasMore = page.hasMore;
    this.render();
  }

  private sendTyping(typing: boolean): void {
    const conv = this.current;
    if (!conv || conv.kind !== 'room') return;
    const now = Date.now();
    if (typing && now - this.typingSentAt < 2000) return;
    this.typingSentAt = typing ? now : 0;
    this.chat.typing(conv.key, typing);
  }

  private receive(m: Message): void {
    const dm = m.room.startsWith('dm:');
    const peer = dm ? this.peerOf(m.room) : undefined;
    const title = dm
      ? m.sender.id === peer
        ? m.sender.displayName
        : (this.conversations.get(m.room)?.title ?? peer ?? m.room)
      : this.titleOf(m.room);
    const conv = this.conversations.get(m.room) ?? this.ensure(m.room, title, dm ? 'dm' : 'room', peer);
    conv.typing.delete(m.sender.displayName);
    conv.messages.set(m.id, m);
    this.render();
    if (conv === this.current) this.markRead();
  }

  private replace(m: Message): void {
    const conv = this.conversations.get(m.room);
    if (!conv?.messages.has(m.id)) return;
    conv.messages.set(m.id, m);
    if (conv === this.current) this.render();
  }

  /** The open conversation is read up to its latest message (while the page is visible). */
  private markRead(): void {
    const conv = this.current;
    if (!conv || document.hidden || this.chat.state.status !== 'connected') return;
    const latest = [...conv.messages.keys()].sort().at(-1);
    const unread = this.directory.get(conv.key)?.unread ?? 0;
    if (!latest || (latest <= (conv.readUpTo ?? '') && unread === 0)) return;
    conv.readUpTo = latest;
    this.directory.markRead(conv.key, latest).catch(() => (conv.readUpTo = undefined));
  }

  /** Before the oldest of the last `unread` messages from others. */
  private placeDivider(conv: Conversation): void {
    let unread = this.directory.get(conv.key)?.unread ?? 0;
    conv.dividerAt = undefined;
    if (unread === 0) return;
    const me = this.client.auth.userId;
    const stored = [...conv.messages.values()].sort((a, b) => b.id.localeCompare(a.id));
    for (const m of stored) {
      if (m.sender.id === me || m.deletedAt) continue;
      conv.dividerAt = m.id;
      if (--unread === 0) break;
    }
  }

  private peerOf(room: string): string {
    const [, a, b] = room.split(':');
    return a === this.client.auth.userId ? b : a;
  }

  private titleOf(room: string): string {
    return this.directory.get(room)?.title ?? this.conversations.get(room)?.title ?? room;
  }

  private ensure(key: string, title: string, kind: 'room' | 'dm', peer?: string): Conversation {
    const conv: Conversation = { key, title, kind, peer, messages: new Map(), loaded: false, hasMore: false, online: new Map(), typing: new Map() };
    this.conversations.set(key, conv);
    this.rememberList();
    return conv;
  }

  private get rememberKey(): string {
    return `parley.demo.conversations.${this.client.auth.userId ?? ''}`;
  }

  private remembered(): Remembered {
    try {
      return JSON.parse(localStorage.getItem(this.rememberKey) ?? '[]') as Remembered;
    } catch {
      return [];
    }
  }

  private rememberList(): void {
    if (!this.client.auth.userId) return;
    const list: Remembered = this.listed().map(({ key, title, kind, peer }) => ({ key, title, kind, peer }));
    localStorage.setItem(this.rememberKey, JSON.stringify(list));
  }

  private select(conv: Conversation): void {
    this.current = conv;
    if (conv.loaded) this.placeDivider(conv);
    else conv.dividerAt = undefined;
    this.render();
    $('messages').scrollTop = $('messages').scrollHeight;
    $<HTMLInputElement>('send-form').querySelector('input')?.focus();
    if (!conv.loaded) {
      const entry = this.directory.get(conv.key);
      if (conv.kind === 'dm') void this.loadOlder(true, conv);
      else if (entry?.visibility !== 'private' || entry.role !== null) {
        // Joining is what shows the history; the divider comes from the count before reading.
        void this.join(conv.key, false).then(() => {
          if (this.current !== conv) return;
          this.placeDivider(conv);
          this.render();
          $('messages').scrollTop = $('messages').scrollHeight;
          this.markRead();
          if (entry?.role === null) void this.reloadList(); // now a member
        });
      }
    } else {
      this.markRead();
    }
  }

  private pendingOf(conv: Conversation): OutboxEntry[] {
    return this.pending.filter((e) => (e.kind === 'room' ? e.to === conv.key : conv.kind === 'dm' && e.to === conv.peer));
  }

  /** The sidebar's rows: the server's list (or the remembered one), plus what was opened here since. */
  private listed(): Array<Pick<Conversation, 'key' | 'title' | 'kind' | 'peer'> & { entry?: RoomEntry }> {
    type Row = Pick<Conversation, 'key' | 'title' | 'kind' | 'peer'> & { entry?: RoomEntry };
    const rows: Row[] = this.directory.rooms.map((entry) => ({
      key: entry.name,
      title: entry.title,
      kind: entry.name.startsWith('dm:') ? ('dm' as const) : ('room' as const),
      peer: entry.peer?.id,
      entry,
    }));
    const seen = new Set(rows.map((r) => r.key));
    for (const c of this.conversations.values()) if (!seen.has(c.key)) rows.push({ key: c.key, title: c.title, kind: c.kind, peer: c.peer });
    return rows;
  }

  private render(): void {
    const conv = this.current;
    const entry = conv ? this.directory.get(conv.key) : undefined;
    if (conv && entry) conv.title = entry.title;
    $('pane-title').textContent = conv ? (conv.kind === 'dm' ? `@ ${conv.title}` : `# ${conv.title}`) : 'Pick a room or a person to start';
    $('pane-sub').textContent =
      entry && conv?.kind === 'room'
        ? `${entry.visibility} · ${entry.memberCount} member${entry.memberCount === 1 ? '' : 's'}${entry.role ? ` · you: ${entry.role}` : ''}`
        : '';
    $('room-members').hidden = !(conv?.kind === 'room' && entry);
    for (const control of $('send-form').querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, button')) control.disabled = !conv;
    this.renderList();
    // An edit in progress survives other messages arriving (the list is re-drawn after it).
    if (!$('messages').querySelector('.edit')) this.renderMessages(conv, entry);
    this.renderOnline();
    this.renderTyping();
  }

  private renderList(): void {
    const rows = this.listed();
    const item = (row: (typeof rows)[number]) => {
      const isCurrent = row.key === this.current?.key;
      const unread = isCurrent && !document.hidden ? 0 : (row.entry?.unread ?? 0);
      const label = row.kind === 'room' ? `# ${row.title}` : row.title;
      const button = el('button', { type: 'button', class: 'secondary', 'data-testid': 'room-entry', 'data-room': row.key }, label);
      if (row.entry?.visibility === 'private' && row.kind === 'room')
        button.append(el('span', { class: 'lock', 'aria-label': 'private', title: 'private' }, ' 🔒'));
      if (unread > 0)
        button.append(
          el('span', { class: 'badge', 'data-testid': 'unread-badge', 'aria-label': `${unread} unread` }, unread >= 1000 ? '999+' : String(unread)),
        );
      button.addEventListener('click', () => this.open(row.key));
      const classes = [
        isCurrent ? 'current' : '',
        row.entry && row.entry.role === null && row.kind === 'room' ? 'not-member' : '',
        unread ? 'has-unread' : '',
      ];
      return el('li', { class: classes.join(' ').trim() }, button);
    };
    $('room-list').replaceChildren(...rows.filter((r) => r.kind === 'room').map(item));
    $('dm-list').replaceChildren(...rows.filter((r) => r.kind === 'dm').map(item));
    $('rooms-empty').hidden = rows.some((r) => r.kind === 'room') || !this.listLoaded;
  }

  private renderMessages(conv: Conversation | null, entry: RoomEntry | undefined): void {
    const me = this.client.auth.user;
    const stored = conv ? [...conv.messages.values()].sort((a, b) => a.id.localeCompare(b.id)) : [];
    // Unsent ones last, in the order they were typed (the outbox sends them in that order).
    const unsent = conv ? this.pendingOf(conv).filter((e) => !stored.some((m) => m.clientMsgId === e.clientMsgId)) : [];
    const moderates = me?.role === 'admin' || entry?.role === 'owner' || entry?.role === 'moderator';
    const actions = {
      me: me?.id ?? null,
      moderates: conv?.kind === 'room' && moderates,
      edit: (m: Message, body: string) => this.act(this.chat.edit(m.id, body)),
      remove: (m: Message) => this.act(this.chat.deleteMessage(m.id)),
      react: (m: Message, emoji: string, add: boolean) => this.act(add ? this.chat.react(m.id, emoji) : this.chat.unreact(m.id, emoji)),
    };
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const items: HTMLElement[] = [];
    for (const m of stored) {
      if (m.id === conv?.dividerAt)
        items.push(el('li', { class: 'divider', 'data-testid': 'unread-divider', role: 'separator' }, el('span', {}, 'New messages')));
      items.push(messageItem(m, actions));
    }
    for (const e of unsent) items.push(pendingItem(`pending:${e.clientMsgId}`, me?.displayName ?? '', new Date(e.createdAt).toISOString(), e.body));
    list.replaceChildren(...items);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  /** Edits, deletions and reactions: the change arrives as `message:updated` / `message:deleted` too. */
  private act(done: Promise<unknown>): void {
    done.then(
      (m) => {
        if (m && typeof m === 'object' && 'reactions' in m) this.replace(m as Message);
        else this.render();
      },
      (error: Error) => {
        setStatus(error.message, true);
        this.render();
      },
    );
  }

  private notice(text: string): void {
    $('notice-text').textContent = text;
    $('notice').hidden = false;
    setStatus(text, true);
  }

  private renderOnline(): void {
    const conv = this.current;
    const me = this.client.auth.userId;
    $('online-list').replaceChildren(
      ...[...(conv?.kind === 'room' ? conv.online.values() : [])].map((u) => {
        const item = el('li', { 'data-testid': 'online-user', 'data-user-id': u.id }, u.displayName);
        if (u.id !== me) {
          const dm = el('button', { type: 'button', class: 'secondary', 'aria-label': `Message ${u.displayName}` }, 'Message');
          dm.addEventListener('click', () => this.openDm(u.id, u.displayName));
          item.append(dm);
        }
        return item;
      }),
    );
  }

  private renderTyping(): void {
    const names = [...(this.current?.typing.keys() ?? [])];
    $('typing').textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '';
  }

  private expireTyping(): void {
    const cutoff = Date.now() - 3000;
    for (const conv of this.conversations.values()) for (const [name, at] of conv.typing) if (at < cutoff) conv.typing.delete(name);
    this.renderTyping();
  }
}

export function showState(state: ConnectionState): void {
  if (state.status === 'connected') setStatus('Connected');
  else if (state.status === 'reconnecting')
    setStatus(
      `Offline: reconnecting in ${Math.ceil(state.delayMs / 1000)} s (attempt ${state.attempt}). Messages you send are kept until then.`,
      true,
    );
  else if (state.status === 'closed' && state.reason === 'refused') setStatus(`Cannot connect: ${state.error?.message ?? 'refused'}`, true);
}
