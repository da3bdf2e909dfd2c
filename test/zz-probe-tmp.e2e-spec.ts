import request from 'supertest';
import { register, uniqueEmail, PASSWORD } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';

describe.each(DATABASES)('probe $name', ({ url }) => {
  let t: TestApp;
  beforeAll(async () => { t = await startApp(testEnv(await url())); });
  afterAll(() => t.close());
  it('probes', async () => {
    const show = async (label: string, p: request.Test) => { const r = await p; console.log(label, r.status, JSON.stringify(r.body).slice(0, 200), r.headers['content-type']); };
    await show('null', request(t.url).post('/auth/login').set('Content-Type', 'application/json').send('null'));
    await show('str', request(t.url).post('/auth/login').set('Content-Type', 'application/json').send('"x"'));
    await show('num', request(t.url).post('/auth/login').set('Content-Type', 'application/json').send('123'));
    await show('empty', request(t.url).post('/auth/login').set('Content-Type', 'application/json').send(''));
    await show('text big', request(t.url).post('/auth/login').set('Content-Type', 'text/plain').send('x'.repeat(200000)));
    await show('form big', request(t.url).post('/auth/login').set('Content-Type', 'application/x-www-form-urlencoded').send('a=' + 'x'.repeat(200000)));
    await show('latin1', request(t.url).post('/auth/login').set('Content-Type', 'application/json; charset=latin1').send('{}'));
    await show('gzip junk', request(t.url).post('/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('{}'));
    await show('email num', request(t.url).post('/auth/register').send({ email: 5, password: 5, displayName: 5 }));
    await show('nested', request(t.url).post('/auth/register').send({ email: { a: 1 }, password: [1], displayName: null }));
    await show('proto', request(t.url).post('/auth/login').set('Content-Type', 'application/json').send('{"__proto__":{"x":1},"email":"a@b.co","password":"xxxxxxxx"}'));
    await show('constructor', request(t.url).post('/auth/login').set('Content-Type', 'application/json').send('{"constructor":{"prototype":{"x":1}},"email":"a@b.co","password":"xxxxxxxx"}'));
    await show('limit abc', request(t.url).get('/rooms/x/messages?limit=abc').set('Authorization', 'Bearer x'));
    const a = await register(t.url);
    await show('limit abc auth', request(t.url).get('/rooms/x/messages?limit=abc').set('Authorization', `Bearer ${a.accessToken}`));
    await show('longid', request(t.url).delete('/auth/sessions/' + 'x'.repeat(300)).set('Authorization', `Bearer ${a.accessToken}`));
    await show('logout with body', request(t.url).post('/auth/logout').set('Authorization', `Bearer ${a.accessToken}`).send({ foo: 1 }));
    const email = uniqueEmail();
    const rs = await Promise.all([0,1,2,3,4].map((i) => request(t.url).post('/auth/register').send({ email: i % 2 ? email.toUpperCase() : email, password: PASSWORD, displayName: 'x' })));
    console.log('race', rs.map((r) => r.status), rs.map(r => r.body.message));
    await show('bearer lower', request(t.url).get('/auth/me').set('Authorization', `bearer ${a.accessToken}`));
    await show('verify wrong type', request(t.url).post('/auth/verify-email').send({ token: ['a'] }));
    await show('health', request(t.url).get('/health'));
    await show('method', request(t.url).put('/auth/login').send({}));
  });
});
