import type { ChatClient, ConnectionState, Message, OutboxEntry, ParleyClient, UserSummary } from '@parley/client';
import { $, el, setStatus, time } from './dom';

interface Conversation {
  key: string;
  title: string;
  kind: 'room' | 'dm';
  /** the other user of a DM */
  peer?: string;
  messages: Map<string, Message>;
  hasMore: boolean;
  online: Map<string, UserSummary>;
  typing: Map<string, number>;
}

/** What a reload keeps of the sidebar: the rooms and DMs that were open (per user). */
type Remembered = Array<Pick<Conversation, 'key' | 'title' | 'kind' | 'peer'>>;

/**
 * The chat view on the SDK: the SDK re-joins rooms after a reconnect, replays what was missed
 * (as `message:new`, once), and keeps unsent messages in its outbox (IndexedDB), so a message
 * typed offline shows "sending…" until the server has stored it, across reloads too.
 */
export class ChatView {
  private readonly chat: ChatClient;
  private readonly conversations = new Map<string, Conversation>();
  private current: Conversation | null = null;
  private pending: OutboxEntry[] = [];
  private typingSentAt = 0;

  constructor(private readonly client: ParleyClient) {
    this.chat = client.chat();
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = (e.target as HTMLFormElement).elements.namedItem('room') as HTMLInputElement;
      void this.join(input.value.trim());
      input.value = '';
    });
    $('dm-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = (e.target as HTMLFormElement).elements.namedItem('to') as HTMLInputElement;
      this.openDm(input.value.trim(), input.value.trim());
      input.value = '';
    });
    $('send-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = (e.target as HTMLFormElement).elements.namedItem('body') as HTMLInputElement;
      if (input.value.trim()) this.send(input.value);
      input.value = '';
    });
    $('send-form').addEventListener('input', () => this.sendTyping(true));
    $('leave-room').addEventListener('click', () => void this.leave());
    $('messages').addEventListener('scroll', () => {
      if ($('messages').scrollTop === 0) void this.loadOlder();
    });
    window.setInterval(() => this.expireTyping(), 1000);

    const chat = this.chat;
    chat.on('state', (state) => {
      showState(state);
      if (state.status === 'connected') this.reopen();
    });
    chat.on('message:new', (m) => this.receive(m.room, m.room, 'room', m));
    chat.on('dm:new', (m) => {
      const peer = this.peerOf(m.room);
      const title = m.sender.id === peer ? m.sender.displayName : (this.conversations.get(m.room)?.title ?? peer);
      this.receive(m.room, title, 'dm', m, peer);
    });
    chat.on('message:updated', (m) => this.replace(m));
    chat.on('message:deleted', ({ room, id }) => {
      const m = this.conversations.get(room)?.messages.get(id);
      if (m) this.replace({ ...m, body: '', deletedAt: new Date().toISOString(), reactions: [] });
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
    const removed = ({ room }: { room: string }) => {
      setStatus(`You are no longer in #${room}`, true);
      this.drop(room);
    };
    chat.on('room:removed', removed);
    chat.on('room:deleted', removed);
    chat.on('rejoinFailed', ({ room, error }) => {
      setStatus(`Cannot rejoin #${room}: ${error.message}`, true);
      this.drop(room);
    });
    chat.on('outbox', (entries) => {
      this.pending = entries;
      this.render();
    });
    chat.on('failed', ({ entry, error }) => setStatus(`Not sent (“${entry.body.slice(0, 40)}”): ${error.message}`, true));
  }

  /** After sign-in (or a reload): connect, re-open what was open, show what is still unsent. */
  async connect(): Promise<void> {
    if (this.chat.state.status === 'connecting' || this.chat.state.status === 'connected' || this.chat.state.status === 'reconnecting') return;
    this.chat.connect();
    this.pending = await this.chat.pendingMessages();
    for (const c of this.remembered()) if (!this.conversations.has(c.key)) this.ensure(c.key, c.title, c.kind, c.peer);
    // Messages left in the outbox by the last page name their conversations too.
    for (const entry of this.pending) {
      const key = entry.kind === 'room' ? entry.to : this.chat.dmRoom(entry.to);
      if (!this.conversations.has(key))
        this.ensure(key, entry.kind === 'room' ? entry.to : entry.to, entry.kind, entry.kind === 'dm' ? entry.to : undefined);
    }
    if (!this.current) this.current = this.conversations.values().next().value ?? null;
    this.render();
  }

  /** Conversations from before a reload, once connected (however long that takes offline). */
  private reopen(): void {
    const joined = new Set(this.chat.joinedRooms);
    for (const conv of [...this.conversations.values()]) {
      if (conv.kind === 'room' && !joined.has(conv.key)) void this.join(conv.key, false);
      else if (conv.kind === 'dm' && conv.messages.size === 0) void this.loadOlder(true, conv);
    }
  }

  /** Signed out: forget the view (the SDK has closed the socket). */
  reset(): void {
    this.chat.close();
    this.conversations.clear();
    this.current = null;
    this.pending = [];
    this.render();
  }

  private async join(room: string, select = true): Promise<void> {
    try {
      const data = await this.chat.join(room);
      const conv = this.conversations.get(room) ?? this.ensure(room, room, 'room');
      conv.online = new Map(data.online.map((u) => [u.id, u]));
      for (const m of data.history) conv.messages.set(m.id, m);
      conv.hasMore = data.hasMore;
      this.remember();
      if (select || !this.current) this.select(conv);
      else this.render();
    } catch (error) {
      setStatus(`Cannot join ${room}: ${(error as Error).message}`, true);
    }
  }

  private async leave(): Promise<void> {
    const conv = this.current;
    if (!conv) return;
    if (conv.kind === 'room') await this.chat.leave(conv.key).catch(() => undefined);
    this.drop(conv.key);
  }

  private drop(key: string): void {
    this.conversations.delete(key);
    if (this.current?.key === key) this.current = null;
    this.remember();
    this.render();
  }

  private openDm(userId: string, title: string): void {
    if (!userId || userId === this.client.auth.userId) return;
    const key = this.chat.dmRoom(userId);
    const conv = this.conversations.get(key) ?? this.ensure(key, title, 'dm', userId);
    this.remember();
    this.select(conv);
    void this.loadOlder(true);
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
      this.render();
      if (!initial && conv === this.current) list.scrollTop = list.scrollHeight - before;
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

  private receive(key: string, title: string, kind: 'room' | 'dm', m: Message, peer?: string): void {
    const conv = this.conversations.get(key) ?? this.ensure(key, title, kind, peer);
    if (!this.remembered().some((c) => c.key === key)) this.remember();
    conv.typing.delete(m.sender.displayName);
    conv.messages.set(m.id, m);
    this.render();
  }

  private replace(m: Message): void {
    const conv = this.conversations.get(m.room);
    if (!conv?.messages.has(m.id)) return;
    conv.messages.set(m.id, m);
    if (conv === this.current) this.render();
  }

  private peerOf(room: string): string {
    const [, a, b] = room.split(':');
    return a === this.client.auth.userId ? b : a;
  }

  private ensure(key: string, title: string, kind: 'room' | 'dm', peer?: string): Conversation {
    const conv: Conversation = { key, title, kind, peer, messages: new Map(), hasMore: false, online: new Map(), typing: new Map() };
    this.conversations.set(key, conv);
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

  private remember(): void {
    const list: Remembered = [...this.conversations.values()].map(({ key, title, kind, peer }) => ({ key, title, kind, peer }));
    localStorage.setItem(this.rememberKey, JSON.stringify(list));
  }

  private select(conv: Conversation): void {
    this.current = conv;
    this.render();
    $('messages').scrollTop = $('messages').scrollHeight;
    $<HTMLInputElement>('send-form').querySelector('input')?.focus();
  }

  private pendingOf(conv: Conversation): OutboxEntry[] {
    return this.pending.filter((e) => (e.kind === 'room' ? e.to === conv.key : conv.kind === 'dm' && e.to === conv.peer));
  }

  private render(): void {
    const conv = this.current;
    $('pane-title').textContent = conv ? (conv.kind === 'dm' ? `@ ${conv.title}` : `# ${conv.title}`) : 'Join a room to start';
    $('leave-room').hidden = !conv;
    for (const control of $('send-form').querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, button')) control.disabled = !conv;
    const renderList = (id: string, kind: 'room' | 'dm') => {
      $(id).replaceChildren(
        ...[...this.conversations.values()]
          .filter((c) => c.kind === kind)
          .map((c) => {
            const button = el('button', { type: 'button', class: 'secondary' }, kind === 'room' ? `# ${c.title}` : c.title);
            button.addEventListener('click', () => this.select(c));
            return el('li', { class: c === conv ? 'current' : '' }, button);
          }),
      );
    };
    renderList('room-list', 'room');
    renderList('dm-list', 'dm');
    const me = this.client.auth.user;
    const stored = conv ? [...conv.messages.values()].sort((a, b) => a.id.localeCompare(b.id)) : [];
    // Unsent ones last, in the order they were typed (the outbox sends them in that order).
    const unsent = conv ? this.pendingOf(conv).filter((e) => ![...conv.messages.values()].some((m) => m.clientMsgId === e.clientMsgId)) : [];
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(
      ...stored.map((m) =>
        messageItem(
          m.id,
          m.sender.id === me?.id,
          m.sender.displayName,
          m.createdAt,
          m.deletedAt ? 'message deleted' : m.body,
          m.editedAt ? 'edited' : '',
        ),
      ),
      ...unsent.map((e) =>
        messageItem(`pending:${e.clientMsgId}`, true, me?.displayName ?? '', new Date(e.createdAt).toISOString(), e.body, 'sending…', 'pending'),
      ),
    );
    if (atBottom) list.scrollTop = list.scrollHeight;
    this.renderOnline();
    this.renderTyping();
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

function messageItem(id: string, mine: boolean, sender: string, createdAt: string, body: string, note: string, extra = ''): HTMLElement {
  return el(
    'li',
    { class: `${mine ? 'mine' : ''} ${extra}`, 'data-testid': 'message-item', 'data-id': id },
    el('div', { class: 'meta' }, el('span', { 'data-testid': 'message-sender' }, sender), el('time', { datetime: createdAt }, time(createdAt)), note),
    el('div', { class: 'body', 'data-testid': 'message-body' }, body),
  );
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
