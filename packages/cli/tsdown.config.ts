/** The CLI builds its library entry and the `tokengate` command's entry (bin/tokengate.cjs loads it). */
import { packageBuild } from "../../tsdown.config";

export default packageBuild({ entry: ["src/index.ts", "src/main.ts"] });
