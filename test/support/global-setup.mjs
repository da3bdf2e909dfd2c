// One id per `jest` run: the MySQL databases the suites create carry it, so the teardown
// drops exactly this run's databases (and never those of a run beside it).
export default async () => {
  process.env.PARLEY_TEST_RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
};
