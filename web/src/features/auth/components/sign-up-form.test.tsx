import { render, screen, waitFor } from "@testing-library/preact";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { CognitoError } from "@/lib/cognito";
import { setSessionManager, type SessionManager } from "@/lib/session";
import { SignUpForm } from "./sign-up-form";

function fakeAuth(confirmed: boolean) {
  const manager = {
    signUp: vi.fn(async () => ({ confirmed })),
    confirmSignUp: vi.fn(async () => undefined),
    signIn: vi.fn(async () => undefined),
  };
  setSessionManager(manager as unknown as SessionManager);
  return manager;
}

async function fillDetails() {
  await userEvent.type(screen.getByLabelText("E-mail"), "reader@example.com");
  await userEvent.type(screen.getByLabelText("Password"), "Bookworm-2026!");
  await userEvent.click(screen.getByRole("button", { name: "Create account" }));
}

describe("SignUpForm", () => {
  it("signs straight in when the account is confirmed at once (sandbox)", async () => {
    const auth = fakeAuth(true);
    const done = vi.fn();
    render(<SignUpForm onSignedIn={done} />);
    await fillDetails();
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(auth.signUp).toHaveBeenCalledWith("reader@example.com", "Bookworm-2026!");
    expect(auth.signIn).toHaveBeenCalledWith("reader@example.com", "Bookworm-2026!");
    expect(auth.confirmSignUp).not.toHaveBeenCalled();
  });

  it("asks for the e-mailed code when Cognito needs confirmation (AWS)", async () => {
    const auth = fakeAuth(false);
    const done = vi.fn();
    render(<SignUpForm onSignedIn={done} />);
    await fillDetails();
    await userEvent.type(await screen.findByLabelText("Confirmation code"), "123456");
    await userEvent.click(screen.getByRole("button", { name: "Confirm and sign in" }));
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(auth.confirmSignUp).toHaveBeenCalledWith("reader@example.com", "123456");
  });

  it("shows why sign-up failed", async () => {
    const auth = fakeAuth(true);
    auth.signUp.mockRejectedValueOnce(new CognitoError("UsernameExistsException", "An account with this e-mail already exists. Try signing in."));
    render(<SignUpForm onSignedIn={vi.fn()} />);
    await fillDetails();
    expect(await screen.findByRole("alert")).toHaveTextContent("already exists");
  });
});
