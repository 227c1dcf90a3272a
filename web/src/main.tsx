import { render } from "preact";
import { App } from "./app/app";
import { ConfigErrorPage } from "./app/config-error";
import { startServices } from "./app/provider";
import { loadConfig } from "./config/config";
import "./styles/app.css";

const root = document.getElementById("app")!;
root.textContent = "";

loadConfig()
  .then((config) => render(<App services={startServices(config)} />, root))
  .catch((error) => render(<ConfigErrorPage error={error} />, root));
