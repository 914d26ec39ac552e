// On a phone the chat sits below the videos: a button in the pinned controls takes you there and
// counts the messages that came while the chat was out of view.

/** About the height of the controls pinned to the bottom of a phone's screen (style.css). */
const PINNED_CONTROLS_PX = 80;

export class ChatButton {
  private unread = 0;
  private chatInView = true;

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly badge: HTMLElement,
    private readonly panel: HTMLElement,
    private readonly input: HTMLInputElement,
  ) {
    button.addEventListener("click", () => this.open());
    // The chat is in view when its input is: that is where one reads on from. The bottom of the
    // screen is under the pinned controls, so an input there is not in view.
    new IntersectionObserver(
      ([entry]) => {
        this.chatInView = entry?.isIntersecting ?? true;
        if (this.chatInView) this.reset();
      },
      { rootMargin: `0px 0px -${PINNED_CONTROLS_PX}px 0px` },
    ).observe(input);
  }

  /** A message from someone else arrived: counted unless the chat is in view. */
  received(): void {
    if (this.chatInView) return;
    this.unread += 1;
    this.badge.textContent = String(this.unread);
    this.badge.hidden = false;
    this.button.setAttribute("aria-label", `Chat, ${this.unread} unread`);
  }

  reset(): void {
    this.unread = 0;
    this.badge.hidden = true;
    this.button.removeAttribute("aria-label");
  }

  private open(): void {
    this.panel.scrollIntoView({ block: "end", behavior: "smooth" });
    // Without preventScroll the focus would jump there at once and cut the smooth scroll short.
    this.input.focus({ preventScroll: true });
    this.reset();
  }
}
