//! What the HTTP tab keeps between runs: the URL and its history, the
//! method, an edited request, the extra CA file, the last `.http` file.

use super::{HttpTab, METHODS};

impl crate::ui::shell::tab::Remembered for HttpTab {
    fn remember(&self, memory: &mut crate::state::Memory) {
        // A proxy's password is left out (`user@`), to be typed again; a
        // curl command not taken yet (its -x, -u or headers may hold
        // secrets) is not kept: the last URL sent is.
        let typed = self.url.text().trim();
        let url = match typed.starts_with("curl ") {
            true => self.urls.items().last().cloned().unwrap_or_default(),
            false => crate::ui::via::without_password(typed),
        };
        memory.set("http.url", url);
        memory.set_list("http.urls", self.urls.items());
        memory.set("http.method", METHODS[self.method]);
        // An edited request (headers, body) comes back as it was left —
        // the request, not a WebSocket message being typed in its place.
        let (request, edited) = match &self.stashed_request {
            Some((request, edited)) => (request.clone(), *edited),
            None => (self.request_text(), self.edited),
        };
        if edited {
            memory.set("http.request", request);
        }
        memory.set("http.ca", self.ca_file.text().trim());
        if let Some(path) = &self.requests.last_path {
            memory.set("http.file", path.as_str());
        }
    }
    fn restore(&mut self, memory: &crate::state::Memory) {
        if let Some(url) = memory.get("http.url") {
            self.url.set_text(url);
        }
        self.urls.replace(memory.list("http.urls"));
        let method = memory.get("http.method");
        if let Some(at) = METHODS.iter().position(|m| Some(*m) == method) {
            self.method = at;
        }
        self.edited = false;
        self.url_changed();
        if let Some(request) = memory.get("http.request") {
            self.set_editor(request);
            self.edited = true;
        }
        if let Some(ca) = memory.get("http.ca") {
            self.ca_file.set_text(ca);
        }
        if let Some(path) = memory.get("http.file").filter(|path| !path.is_empty()) {
            self.requests.last_path = Some(path.to_string());
        }
    }
}
