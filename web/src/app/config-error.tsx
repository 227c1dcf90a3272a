import { ConfigError } from "@/config/config";

/** Shown instead of the app when /config.json is missing or wrong. */
export function ConfigErrorPage({ error }: { error: unknown }) {
  const problems = error instanceof ConfigError ? error.problems : [String((error as Error)?.message ?? error)];
  const source = error instanceof ConfigError ? error.source : "/config.json";
  return (
    <main class="config-error">
      <div role="alert">
      <h1>The bookstore is not configured</h1>
      <p>
        The app reads its settings from <code>{source}</code> when it starts, and that file has a problem:
      </p>
      <ul>
        {problems.map((problem) => (
          <li key={problem}>
            <code>{source}</code> {problem}
          </li>
        ))}
      </ul>
      <p>
        It should look like <code>{`{"apiUrl": "/api", "blogUrl": "/blog", "cognito": {"endpoint": "https://…", "region": "eu-west-1", "userPoolId": "…", "clientId": "…"}}`}</code>. In AWS it is
        written by the Pulumi program; in the sandbox by <code>make up</code>.
      </p>
      </div>
    </main>
  );
}
