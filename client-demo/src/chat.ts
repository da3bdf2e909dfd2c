import { io, Socket } from 'socket.io-client';
import { Auth } from './auth';
import { $, el, setStatus, time } from './dom';

interface UserSummary {
  id: string;
  displayName: string;
}
interface Message {
  id: string;
  room: string;
  body: string;
  sender: UserSummary;
  createdAt: string;
  clientMsgId?: string;
}
type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

interface Conversation {
  key: string;
  title: string;
  kind: 'room' | 'dm';
  /** the other user of a DM */
  peer?: string;
  messages: Map<string, Message>;
  lastSeen?: string;
  hasMore: boolean;
  online: Map<string, UserSummary>;
  typing: Map<string, number>;
}

/** Sends with an ack and a timeout; a failure comes back as `{ ok: false }`, never throws. */
async function emit<T>(socket: Socket, event: string, payload: unknown): Promise<Ack<T>> {
  try {
    return (await socket.timeout(10_000).emitWithAck(event, payload)) as Ack<T>;
  } catch {
    return { ok: false, error: { code: 'TIMEOUT', message: 'No answer from the server' } };
  }
}

export class ChatView {
  private socket: Socket | null = null;
  private readonly conversations = new Map<string, Conversation>();
  private current: Conversation | null = null;
  private typingSentAt = 0;

  constructor(private readonly auth: Auth) {
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
      if (input.value.trim()) void this.send(input.value);
      input.value = '';
    });
    $('send-form').addEventListener('input', () => this.sendTyping(true));
    $('leave-room').addEventListener('click', () => void this.leave());
    $('messages').addEventListener('scroll', () => {
      if ($('messages').scrollTop === 0) void this.loadOlder();
    });
    auth.onToken(() => this.handOverToken());
    window.setInterval(() => this.expireTyping(), 1000);
  }

  connect(): void {
    if (this.socket) return;
    const socket = io('/chat', { auth: { token: this.auth.accessToken }, transports: ['websocket', 'polling'] });
    this.socket = socket;
    socket.on('connect', () => {
      setStatus('Connected');
      // After a reconnect, catch up on every room with `since`, so nothing is lost.
      for (const conv of this.conversations.values()) if (conv.kind === 'room') void this.join(conv.title, true);
    });
    socket.on('disconnect', (reason) => setStatus(`Disconnected (${reason})`, true));
    socket.on('connect_error', async (error: Error & { data?: { code: string; message: string } }) => {
      const code = error.data?.code;
      if (code === 'TOKEN_EXPIRED' || code === 'SESSION_REVOKED' || code === 'TOKEN_INVALID') {
        if (await this.auth.refresh()) {
          socket.auth = { token: this.auth.accessToken };
          socket.connect();
        }
        return;
      }
      setStatus(`Cannot connect: ${error.data?.message ?? error.message}`, true);
    });
    socket.on('auth:expired', () => void this.auth.refresh());
    socket.on('session:revoked', ({ reason }: { reason: string }) => this.auth.clear(`This device was signed out (${reason})`));
    socket.on('message:new', (m: Message) => this.receive(m.room, m.room, 'room', m));
    socket.on('dm:new', (m: Message) => {
      const me = this.auth.user?.id ?? '';
      const [, a, b] = m.room.split(':');
      const peer = a === me ? b : a;
      const title = m.sender.id === peer ? m.sender.displayName : (this.conversations.get(m.room)?.title ?? peer);
      this.receive(m.room, title, 'dm', m, peer);
    });
    socket.on('presence:join', ({ room, user }: { room: string; user: UserSummary }) => {
      this.conversations.get(room)?.online.set(user.id, user);
      this.renderOnline();
    });
    socket.on('presence:leave', ({ room, user }: { room: string; user: UserSummary }) => {
      this.conversations.get(room)?.online.delete(user.id);
      this.renderOnline();
    });
    socket.on('typing', ({ room, user, typing }: { room: string; user: UserSummary; typing: boolean }) => {
      const conv = this.conversations.get(room);
      if (!conv) return;
      if (typing) conv.typing.set(user.displayName, Date.now());
      else conv.typing.delete(user.displayName);
      this.renderTyping();
    });
  }

  disconnect(): void {
    this.socket?.disconnect();
    this.socket = null;
    this.conversations.clear();
    this.current = null;
    this.render();
  }

  /** New access token from a refresh: hand it to the live socket (it keeps its rooms). */
  private handOverToken(): void {
    const socket = this.socket;
    if (!socket) return;
    socket.auth = { token: this.auth.accessToken };
    if (socket.connected) void emit(socket, 'auth:refresh', { token: this.auth.accessToken });
  }

  private async join(room: string, catchUp = false): Promise<void> {
    if (!this.socket) return;
    let conv = this.conversations.get(room);
    let since = catchUp ? conv?.lastSeen : undefined;
    for (;;) {
      const ack = await emit<{ online: UserSummary[]; history: Message[]; hasMore: boolean }>(this.socket, 'room:join', since ? { room, since } : { room });
      if (!ack.ok) return setStatus(`Cannot join ${room}: ${ack.error.message}`, true);
      conv ??= this.ensure(room, room, 'room');
      conv.online = new Map(ack.data.online.map((u) => [u.id, u]));
      for (const m of ack.data.history) this.store(conv, m);
      if (!since) conv.hasMore = ack.data.hasMore;
      if (!(since && ack.data.hasMore)) break;
      since = conv.lastSeen;
    }
    if (!catchUp || !this.current) this.select(conv);
    else this.render();
  }

  private async leave(): Promise<void> {
    const conv = this.current;
    if (!conv || !this.socket) return;
    if (conv.kind === 'room') await emit(this.socket, 'room:leave', { room: conv.key });
    this.conversations.delete(conv.key);
    this.current = null;
    this.render();
  }

  private openDm(userId: string, title: string): void {
    if (!userId || userId === this.auth.user?.id) return;
    const me = this.auth.user?.id ?? '';
    const key = `dm:${[me, userId].sort().join(':')}`;
    const conv = this.conversations.get(key) ?? this.ensure(key, title, 'dm', userId);
    this.select(conv);
    void this.loadOlder(true);
  }

  private async send(body: string, clientMsgId: string = crypto.randomUUID()): Promise<void> {
    const conv = this.current;
    const me = this.auth.user;
    if (!conv || !this.socket || !me) return;
    const pending: Message = { id: `pending:${clientMsgId}`, room: conv.key, body, sender: me, createdAt: new Date().toISOString(), clientMsgId };
    this.store(conv, pending);
    this.render();
    this.sendTyping(false);
    const event = conv.kind === 'dm' ? 'dm:send' : 'message:send';
    const payload = conv.kind === 'dm' ? { to: conv.peer, body, clientMsgId } : { room: conv.key, body, clientMsgId };
    // Retries reuse the clientMsgId: the server stores the message once however often it arrives.
    for (let attempt = 0; attempt < 3; attempt++) {
      const ack = await emit<Message>(this.socket, event, payload);
      if (ack.ok) {
        conv.messages.delete(pending.id);
        this.store(conv, ack.data);
        return this.render();
      }
      if (ack.error.code !== 'TIMEOUT' && ack.error.code !== 'INTERNAL' && ack.error.code !== 'RATE_LIMITED') {
        setStatus(ack.error.message, true);
        break;
      }
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
    }
    const node = document.querySelector(`[data-id="${CSS.escape(pending.id)}"]`);
    node?.classList.add('failed');
  }

  private async loadOlder(initial = false): Promise<void> {
    const conv = this.current;
    if (!conv || !this.socket || (!initial && !conv.hasMore)) return;
    const oldest = [...conv.messages.keys()].filter((id) => !id.startsWith('pending:')).sort()[0];
    const ack = await emit<{ messages: Message[]; hasMore: boolean }>(this.socket, 'message:history', initial || !oldest ? { room: conv.key } : { room: conv.key, before: oldest });
    if (!ack.ok) return;
    const list = $('messages');
    const before = list.scrollHeight;
    for (const m of ack.data.messages) this.store(conv, m);
    conv.hasMore = ack.data.hasMore;
    this.render();
    if (!initial) list.scrollTop = list.scrollHeight - before;
  }

  private sendTyping(typing: boolean): void {
    const conv = this.current;
    if (!conv || conv.kind !== 'room' || !this.socket) return;
    const now = Date.now();
    if (typing && now - this.typingSentAt < 2000) return;
    this.typingSentAt = typing ? now : 0;
    this.socket.emit('typing', { room: conv.key, typing }, () => undefined);
  }

  private receive(key: string, title: string, kind: 'room' | 'dm', m: Message, peer?: string): void {
    const conv = this.conversations.get(key) ?? this.ensure(key, title, kind, peer);
    if (m.clientMsgId) conv.messages.delete(`pending:${m.clientMsgId}`);
    conv.typing.delete(m.sender.displayName);
    this.store(conv, m);
    this.render();
  }

  private ensure(key: string, title: string, kind: 'room' | 'dm', peer?: string): Conversation {
    const conv: Conversation = { key, title, kind, peer, messages: new Map(), hasMore: false, online: new Map(), typing: new Map() };
    this.conversations.set(key, conv);
    return conv;
  }

  private store(conv: Conversation, m: Message): void {
    conv.messages.set(m.id, m);
    if (!m.id.startsWith('pending:') && (!conv.lastSeen || m.id > conv.lastSeen)) conv.lastSeen = m.id;
  }

  private select(conv: Conversation): void {
    this.current = conv;
    this.render();
    $('messages').scrollTop = $('messages').scrollHeight;
    $<HTMLInputElement>('send-form').querySelector('input')?.focus();
  }

  private render(): void {
    const conv = this.current;
    $('pane-title').textContent = conv ? (conv.kind === 'dm' ? `@ ${conv.title}` : `# ${conv.title}`) : 'Join a room to start';
    $('leave-room').hidden = !conv;
    for (const control of $('send-form').querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, button')) control.disabled = !conv;
    const renderList = (id: string, kind: 'room' | 'dm') => {
      const list = $(id);
      list.replaceChildren(
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
    const me = this.auth.user?.id;
    const messages = conv ? [...conv.messages.values()].sort((a, b) => (a.id.startsWith('pending:') ? 1 : b.id.startsWith('pending:') ? -1 : a.id.localeCompare(b.id))) : [];
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(
      ...messages.map((m) =>
        el(
          'li',
          { class: `${m.sender.id === me ? 'mine' : ''} ${m.id.startsWith('pending:') ? 'pending' : ''}`, 'data-testid': 'message-item', 'data-id': m.id },
          el('div', { class: 'meta' }, el('span', { 'data-testid': 'message-sender' }, m.sender.displayName), el('time', { datetime: m.createdAt }, time(m.createdAt)), m.id.startsWith('pending:') ? 'sending…' : ''),
          el('div', { class: 'body', 'data-testid': 'message-body' }, m.body),
        ),
      ),
    );
    if (atBottom) list.scrollTop = list.scrollHeight;
    this.renderOnline();
    this.renderTyping();
  }

  private renderOnline(): void {
    const conv = this.current;
    const me = this.auth.user?.id;
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
