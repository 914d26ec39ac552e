// Camera and microphone pickers: the devices the browser lists (labels once permission is given),
// the one in use selected; picking another switches it mid-call (changeWebcam / changeMic, no
// renegotiation). Refreshed when devices come and go (the SDK's device-changed).
import { off, on, type Meeting } from "../lib/index.js";

type Kind = "camera" | "mic";

export class DevicePicker {
  private meeting: Meeting | null = null;
  private readonly refreshSoon = (): void => void this.refresh();

  constructor(
    private readonly camera: HTMLSelectElement,
    private readonly mic: HTMLSelectElement,
    private readonly onError: (error: unknown) => void,
  ) {
    camera.addEventListener("change", () => void this.pick("camera", camera.value));
    mic.addEventListener("change", () => void this.pick("mic", mic.value));
  }

  attach(meeting: Meeting): void {
    this.meeting = meeting;
    on("device-changed", this.refreshSoon);
    void this.refresh();
  }

  detach(): void {
    off("device-changed", this.refreshSoon);
    this.meeting = null;
    for (const select of [this.camera, this.mic]) select.replaceChildren();
  }

  /** Lists the devices again and selects the ones in use. */
  async refresh(): Promise<void> {
    const m = this.meeting;
    if (!m) return;
    try {
      const [cameras, mics] = await Promise.all([m.getWebcams(), m.getMics()]);
      if (m !== this.meeting) return;
      this.fill(this.camera, cameras, this.inUse(m, "video"), "Camera");
      this.fill(this.mic, mics, this.inUse(m, "audio"), "Microphone");
    } catch (error) {
      this.onError(error);
    }
  }

  private inUse(m: Meeting, kind: "audio" | "video"): string | null {
    for (const stream of m.localParticipant.streams.values()) {
      if (stream.kind === kind) return stream.track.getSettings().deviceId ?? null;
    }
    return null;
  }

  private fill(select: HTMLSelectElement, devices: { deviceId: string; label: string }[], current: string | null, fallback: string): void {
    select.replaceChildren(
      ...devices.map((device, i) => {
        const option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = device.label || `${fallback} ${i + 1}`;
        option.selected = device.deviceId === current;
        return option;
      }),
    );
    select.disabled = devices.length === 0;
  }

  private async pick(kind: Kind, deviceId: string): Promise<void> {
    const m = this.meeting;
    if (!m || !deviceId) return;
    try {
      if (kind === "camera") await m.changeWebcam(deviceId);
      else await m.changeMic(deviceId);
    } catch (error) {
      this.onError(error);
    }
    await this.refresh();
  }
}
